package dev.tether.guest.kernel;

/**
 * Thrown inside the kernel's own handlers to end a system call with {@code -errno}; {@link MiniLinux}
 * turns it into the result. Carries no stack trace: it is control flow, thrown on guest mistakes.
 */
final class SyscallError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final int errno;

    SyscallError(int errno) {
        super(null, null, false, false);
        this.errno = errno;
    }

    @Override
    public String getMessage() {
        return dev.tether.abi.Errno.name(errno);
    }
}
