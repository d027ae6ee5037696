package dev.tether.core;

import dev.tether.abi.Errno;
import dev.tether.api.SyscallFailedException;
import dev.tether.linux.LinuxException;

/**
 * Where core's native layer meets the API. {@code dev.tether.linux} knows nothing of the API, so
 * a failed system call arrives as a {@link LinuxException}; every public method of the API's
 * implementations ({@link StubPlatformImpl}, {@link StubImpl}, {@link SubprocessImpl}, and for
 * guests {@link PtraceGuestContext}, whose address space and platform reach the kernel only
 * through those) turns one that reaches it into the API's {@link SyscallFailedException}, with
 * the same call, errno and message, and the original as its cause. Inside core, code keeps catching {@code LinuxException}
 * by errno (ESRCH, ECHILD, ...) as before.
 */
final class NativeErrors {
    private NativeErrors() {
    }

    /** {@code e} as the API reports it. */
    static SyscallFailedException api(LinuxException e) {
        return new SyscallFailedException(e.call(), e.errno(), e);
    }

    /**
     * {@code e}, from writing a guest's state into its stub thread, as the API reports it: when the
     * kernel refused a value Java set (PTRACE_SETREGSET answers EIO for a general register it will
     * not take, such as an amd64 {@code fs_base} at or above TASK_SIZE_MAX, putreg in
     * arch/x86/kernel/ptrace.c; EINVAL for an FP state it will not take), the message says so.
     */
    static SyscallFailedException guestState(LinuxException e) {
        boolean set = e.call().startsWith("ptrace(PTRACE_SETREGSET");
        if (set && e.errno() == Errno.EIO) {
            return new SyscallFailedException(e.call() + " with the guest context's registers (the kernel refuses one of"
                    + " their values, such as a thread pointer outside user space)", e.errno(), e);
        }
        if (set && e.errno() == Errno.EINVAL) {
            return new SyscallFailedException(e.call() + " with the guest context's state (the kernel refuses a value"
                    + " Java set, such as in its FP state)", e.errno(), e);
        }
        return api(e);
    }

    /** {@code e} itself, or its API form if it is a {@link LinuxException}. */
    static RuntimeException api(RuntimeException e) {
        return e instanceof LinuxException ? api((LinuxException) e) : e;
    }
}
