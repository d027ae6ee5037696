package dev.tether.trap;

import dev.tether.abi.Mman;
import dev.tether.linux.SharedMemory;
import dev.tether.linux.Sys;
import dev.tether.spi.TrapRegion;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One per-thread region (docs/trap.md, section 3) as the JVM sees it: a memfd of
 * {@link TrapRegion#SIZE} bytes mapped here, whose fd stays open until the subprocess has mapped it
 * too ({@link #closeFd}). Its words are read and written through a {@link VarHandle} view with the
 * ordering the protocol needs: no native call per poll.
 */
final class Region {
    /** MFD_CLOEXEC (include/uapi/linux/memfd.h). */
    private static final int MFD_CLOEXEC = 1;
    private static final VarHandle WORDS = MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

    final long jvmAddress;
    final ByteBuffer buf;
    /** The region's address in the subprocess. */
    final long remote;
    private int fd;
    private boolean unmapped;

    private Region(long jvmAddress, int fd, long remote) {
        this.jvmAddress = jvmAddress;
        this.fd = fd;
        this.remote = remote;
        this.buf = SharedMemory.buffer(jvmAddress, TrapRegion.SIZE).order(ByteOrder.nativeOrder());
    }

    /** A new region for subprocess address {@code remote}; {@code ftruncateNr} is the arch's number of ftruncate. */
    static Region create(long ftruncateNr, long remote) {
        int fd = Sys.memfdCreate("tether-trap", MFD_CLOEXEC);
        try {
            Sys.syscall(ftruncateNr, fd, TrapRegion.SIZE);
            long a = Sys.mmap(0, TrapRegion.SIZE, Mman.PROT_READ | Mman.PROT_WRITE, Mman.MAP_SHARED, fd, 0);
            return new Region(a, fd, remote);
        } catch (RuntimeException e) {
            Sys.close(fd);
            throw e;
        }
    }

    int fd() {
        return fd;
    }

    void closeFd() {
        if (fd >= 0) {
            Sys.close(fd);
            fd = -1;
        }
    }

    long getVolatile(int offset) {
        return (long) WORDS.getVolatile(buf, offset);
    }

    long getAcquire(int offset) {
        return (long) WORDS.getAcquire(buf, offset);
    }

    void setVolatile(int offset, long value) {
        WORDS.setVolatile(buf, offset, value);
    }

    long get(int offset) {
        return buf.getLong(offset);
    }

    void put(int offset, long value) {
        buf.putLong(offset, value);
    }

    /** The offset in this region of subprocess address {@code address} with {@code length} bytes behind it, or -1 if that is not all inside. */
    int offsetOf(long address, int length) {
        long off = address - remote;
        return off >= 0 && off + length <= TrapRegion.SIZE && length >= 0 ? (int) off : -1;
    }

    /** Unmaps it from the JVM (once no thread reads it any more). */
    void unmap() {
        closeFd();
        if (!unmapped) {
            unmapped = true;
            Sys.munmap(jvmAddress, TrapRegion.SIZE);
        }
    }
}
