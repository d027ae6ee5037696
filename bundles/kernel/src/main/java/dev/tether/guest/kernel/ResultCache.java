package dev.tether.guest.kernel;

/** The {@link SyscallResult}s of the common cases, made once: no allocation per system call for them. */
final class ResultCache {
    /** -0..-133: every errno of include/uapi/asm-generic/errno.h. */
    static final SyscallResult.Value[] ERRNOS = new SyscallResult.Value[134];
    static final SyscallResult.Value[] SMALL = new SyscallResult.Value[256];
    static final SyscallResult.RegistersChanged REGISTERS_CHANGED = new SyscallResult.RegistersChanged();

    static {
        for (int i = 0; i < ERRNOS.length; i++) {
            ERRNOS[i] = new SyscallResult.Value(-i);
        }
        for (int i = 0; i < SMALL.length; i++) {
            SMALL[i] = new SyscallResult.Value(i);
        }
    }

    private ResultCache() {
    }
}
