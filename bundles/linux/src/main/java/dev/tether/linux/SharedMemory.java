package dev.tether.linux;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;

/**
 * What a guest platform that shares memory with a stub needs (the trap bundle, docs/trap.md): a
 * direct {@link ByteBuffer} over memory mapped in the JVM, and futex(2) wait/wake on a word of it that
 * answer with the raw result instead of an exception (a wait that finds the word changed,
 * {@code EAGAIN}, or times out is the normal case there, not an error).
 */
public final class SharedMemory {
    /** A struct timespec per thread, for FUTEX_WAIT's relative timeout. */
    private static final ThreadLocal<NativeMemory> TIMESPEC = ThreadLocal.withInitial(() -> NativeMemory.allocate(16));

    private SharedMemory() {
    }

    /** A direct buffer over {@code length} bytes of the JVM's memory at {@code address} (which must stay mapped while it is used). */
    public static ByteBuffer buffer(long address, int length) {
        return new Pointer(address).getByteBuffer(0, length);
    }

    /**
     * {@code futex(address, FUTEX_WAIT, expected, {timeoutNanos})} (shared, not private: the word is
     * in memory another process maps); {@code futexNr} is the arch's number of futex. Returns 0, or
     * -errno ({@code EAGAIN}: the word was not {@code expected}; {@code ETIMEDOUT}; {@code EINTR}).
     */
    public static long futexWait(long futexNr, long address, int expected, long timeoutNanos) {
        NativeMemory ts = TIMESPEC.get();
        ts.putLong(0, timeoutNanos / 1_000_000_000L);
        ts.putLong(8, timeoutNanos % 1_000_000_000L);
        // FUTEX_WAIT = 0 (include/uapi/linux/futex.h)
        long r = LibC.syscall(futexNr, address, 0, expected, ts.address(), 0, 0);
        return r == -1 ? -Native.getLastError() : r;
    }

    /** {@code futex(address, FUTEX_WAKE, count)}: the number of waiters woken, or -errno. */
    public static long futexWake(long futexNr, long address, int count) {
        // FUTEX_WAKE = 1 (include/uapi/linux/futex.h)
        long r = LibC.syscall(futexNr, address, 1, count, 0, 0, 0);
        return r == -1 ? -Native.getLastError() : r;
    }
}
