package dev.tether.linux;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;

/**
 * A block of native memory owned by Java (JNA {@link Memory}), addressed by raw address. Used
 * for register buffers, iovecs, the trampoline's argument block and seccomp programs. Not
 * thread-safe; {@link #close()} frees it at once (otherwise the GC does).
 *
 * <p>Reads and writes go through a direct {@link ByteBuffer} view of the block (native order),
 * which the JIT compiles to plain loads and stores; JNA's {@code Pointer} accessors would cost a
 * JNI call each, several per injected syscall.
 */
public final class NativeMemory implements AutoCloseable {
    private Memory memory;
    private final long address;
    private final long size;
    private final ByteBuffer bytes;
    private final LongBuffer longs;

    private NativeMemory(long size) {
        this.memory = new Memory(size);
        this.memory.clear();
        this.address = Pointer.nativeValue(memory);
        this.size = size;
        this.bytes = memory.getByteBuffer(0, size).order(ByteOrder.nativeOrder());
        this.longs = bytes.duplicate().order(ByteOrder.nativeOrder()).asLongBuffer();
    }

    /** Zeroed native memory of {@code size} bytes. */
    public static NativeMemory allocate(long size) {
        if (size <= 0 || size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("native memory size must be 1.." + Integer.MAX_VALUE + " bytes, got " + size);
        }
        return new NativeMemory(size);
    }

    public long address() {
        check(0, 0);
        return address;
    }

    public long size() { return size; }

    public long getLong(long offset) {
        check(offset, 8);
        return bytes.getLong((int) offset);
    }

    public void putLong(long offset, long value) {
        check(offset, 8);
        bytes.putLong((int) offset, value);
    }

    public int getInt(long offset) {
        check(offset, 4);
        return bytes.getInt((int) offset);
    }

    public void putInt(long offset, int value) {
        check(offset, 4);
        bytes.putInt((int) offset, value);
    }

    public void putShort(long offset, short value) {
        check(offset, 2);
        bytes.putShort((int) offset, value);
    }

    public void write(long offset, byte[] src, int from, int length) {
        check(offset, length);
        bytes.put((int) offset, src, from, length); // a bulk copy, no JNI call (a guest's FP state: 2.4 KB per switch)
    }

    public void read(long offset, byte[] dst, int from, int length) {
        check(offset, length);
        bytes.get((int) offset, dst, from, length);
    }

    /** Reads {@code words.length} 64-bit words (native order) starting at {@code offset}. */
    public void getLongs(long offset, long[] words) {
        check(offset, 8L * words.length);
        if ((offset & 7) == 0) {
            longs.get((int) (offset >>> 3), words, 0, words.length);
        } else {
            memory.read(offset, words, 0, words.length);
        }
    }

    /** Writes the first {@code count} of {@code words} (native order) at an 8-byte aligned {@code offset}, in one copy. */
    public void putLongs(long offset, long[] words, int count) {
        check(offset, 8L * count);
        if ((offset & 7) != 0 || count > words.length) {
            throw new IndexOutOfBoundsException("putLongs of " + count + " of " + words.length + " words at offset " + offset);
        }
        longs.put((int) (offset >>> 3), words, 0, count);
    }

    /** Writes {@code words} (native order) starting at {@code offset}. */
    public void putLongs(long offset, long[] words) {
        check(offset, 8L * words.length);
        if ((offset & 7) == 0) {
            longs.put((int) (offset >>> 3), words, 0, words.length);
        } else {
            memory.write(offset, words, 0, words.length);
        }
    }

    /** The machine's byte order, in which native memory holds numbers. */
    public static ByteOrder order() {
        return ByteOrder.nativeOrder();
    }

    private void check(long offset, long length) {
        if (memory == null) {
            throw new IllegalStateException("native memory was freed");
        }
        if (offset < 0 || length < 0 || offset + length > size) {
            throw new IndexOutOfBoundsException("offset " + offset + " + " + length + " outside native block of " + size);
        }
    }

    @Override
    public void close() {
        if (memory != null) {
            memory.close();
            memory = null;
        }
    }
}
