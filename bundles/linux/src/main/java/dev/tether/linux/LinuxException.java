package dev.tether.linux;

import dev.tether.abi.Errno;

/**
 * A failed system call: names the call (with its important arguments) and the errno. Core, the
 * only user of this package, turns it into the API's {@code SyscallFailedException} (same call,
 * errno and message) before it reaches an API caller; this bundle knows nothing of the API.
 */
public class LinuxException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String call;
    private final int errno;

    public LinuxException(String call, int errno) {
        super(call + " failed: " + Errno.name(errno) + " (" + errno + ")");
        this.call = call;
        this.errno = errno;
    }

    /** The call, e.g. {@code ptrace(PTRACE_ATTACH, 1234)}. */
    public String call() { return call; }

    public int errno() { return errno; }

    /** The symbolic errno, e.g. {@code EPERM}. */
    public String errnoName() { return Errno.name(errno); }
}
