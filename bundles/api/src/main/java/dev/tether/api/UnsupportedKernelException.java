package dev.tether.api;

/**
 * This kernel or process cannot host stubs: ptrace forbidden (YAMA scope 3, a seccomp filter or
 * a missing capability), seccomp filters unavailable, or the stub could not be placed.
 */
public class UnsupportedKernelException extends TetherException {
    private static final long serialVersionUID = 1L;

    public UnsupportedKernelException(String message, Throwable cause) {
        super(message, cause);
    }
}
