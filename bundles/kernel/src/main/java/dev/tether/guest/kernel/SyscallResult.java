package dev.tether.guest.kernel;

/** What a {@link SyscallHandler} decided. */
public sealed interface SyscallResult {

    /** The system call returns {@code value} (a {@code -errno} in -4095..-1 is an error, as in the kernel). */
    record Value(long value) implements SyscallResult {
    }

    /** The guest ends with exit status {@code status} (0..255, as {@code exit_group(2)} truncates it). */
    record Exit(int status) implements SyscallResult {
    }

    /** The handler changed the registers itself (e.g. a sigreturn): nothing more to set. */
    record RegistersChanged() implements SyscallResult {
    }

    /** {@code value}. */
    static SyscallResult value(long value) {
        if (value >= 0 && value < ResultCache.SMALL.length) {
            return ResultCache.SMALL[(int) value];
        }
        if (value < 0 && value > -ResultCache.ERRNOS.length) {
            return ResultCache.ERRNOS[(int) -value];
        }
        return new Value(value);
    }

    /**
     * {@code -errno}.
     *
     * @throws IllegalArgumentException unless 1 &lt;= errno &lt;= 4095 (the kernel's MAX_ERRNO, include/linux/err.h)
     */
    static SyscallResult errno(int errno) {
        if (errno < 1 || errno > 4095) {
            throw new IllegalArgumentException("errno must be 1..4095, got " + errno);
        }
        return value(-errno);
    }

    /** The guest exits with {@code status & 0xff}. */
    static SyscallResult exit(int status) {
        return new Exit(status & 0xff);
    }

    /** The handler set the registers. */
    static SyscallResult registersChanged() {
        return ResultCache.REGISTERS_CHANGED;
    }
}
