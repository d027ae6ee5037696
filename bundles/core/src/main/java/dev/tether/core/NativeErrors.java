package dev.tether.core;

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

    /** {@code e} itself, or its API form if it is a {@link LinuxException}. */
    static RuntimeException api(RuntimeException e) {
        return e instanceof LinuxException ? api((LinuxException) e) : e;
    }
}
