package dev.tether.api;

import dev.tether.abi.Errno;

/**
 * A system call Tether made for the caller failed: names the call (with its important arguments,
 * e.g. {@code process_vm_readv(1234, 0x7f0000000000)}) and the errno, so that a caller can read
 * the errno without knowing Tether's native layer. The message is
 * {@code "<call> failed: <ERRNO NAME> (<errno>)"}.
 */
public class SyscallFailedException extends TetherException {
    private static final long serialVersionUID = 1L;
    private final String call;
    private final int errno;

    public SyscallFailedException(String call, int errno) {
        super(message(call, errno));
        this.call = call;
        this.errno = errno;
    }

    /** With the failure that reported it (core keeps its native layer's exception as the cause). */
    public SyscallFailedException(String call, int errno, Throwable cause) {
        super(message(call, errno), cause);
        this.call = call;
        this.errno = errno;
    }

    private static String message(String call, int errno) {
        return call + " failed: " + Errno.name(errno) + " (" + errno + ")";
    }

    /** The call, e.g. {@code ptrace(PTRACE_ATTACH, 1234)}. */
    public String call() { return call; }

    /** The errno, a positive number (include/uapi/asm-generic/errno-base.h and errno.h). */
    public int errno() { return errno; }

    /** The symbolic errno, e.g. {@code EPERM}. */
    public String errnoName() { return Errno.name(errno); }
}
