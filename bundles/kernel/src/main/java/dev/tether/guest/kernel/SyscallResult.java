package dev.tether.guest.kernel;

/** What a {@link SyscallHandler} decided. */
public sealed interface SyscallResult {

    /** The system call returns {@code value} (a {@code -errno} in -4095..-1 is an error, as in the kernel). */
    record Value(long value) implements SyscallResult {
        // The common results are made once, so that they cost no allocation per system call.
        /** -0..-133: every errno of include/uapi/asm-generic/errno.h. */
        private static final Value[] ERRNOS = new Value[134];
        private static final Value[] SMALL = new Value[256];

        static {
            for (int i = 0; i < ERRNOS.length; i++) {
                ERRNOS[i] = new Value(-i);
            }
            for (int i = 0; i < SMALL.length; i++) {
                SMALL[i] = new Value(i);
            }
        }
    }

    /** The guest ends with exit status {@code status} (0..255, as {@code exit_group(2)} truncates it). */
    record Exit(int status) implements SyscallResult {
    }

    /** The handler changed the registers itself (e.g. a sigreturn): nothing more to set. */
    record RegistersChanged() implements SyscallResult {
        private static final RegistersChanged INSTANCE = new RegistersChanged();
    }

    /** {@code value}. */
    static SyscallResult value(long value) {
        if (value >= 0 && value < Value.SMALL.length) {
            return Value.SMALL[(int) value];
        }
        if (value < 0 && value > -Value.ERRNOS.length) {
            return Value.ERRNOS[(int) -value];
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
        return RegistersChanged.INSTANCE;
    }
}
