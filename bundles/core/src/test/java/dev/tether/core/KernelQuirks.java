package dev.tether.core;

import dev.tether.abi.Clone;
import dev.tether.api.Stub;
import dev.tether.seccomp.Action;
import dev.tether.seccomp.Policy;
import java.util.ArrayList;
import java.util.List;

/**
 * Syscall numbers this kernel handles before seccomp runs. On the CI machines' kernel
 * (6.18.x "-fc", a Firecracker guest kernel) the unassigned x86-64 numbers 335 and 336 are
 * intercepted ahead of the seccomp hook: a filter that kills or fails everything is never asked,
 * and the call returns -EPERM / -ENXIO. No filter can act on such numbers, so the policy tests
 * detect them (a stub whose default action is ERRNO(4095) does not get -4095 back) and treat
 * them as the kernel's, not Tether's, behaviour. Only numbers outside the kernel's syscall table
 * may be bypassed; a real syscall escaping the filter fails the tests.
 */
final class KernelQuirks {
    /** An errno no real syscall returns for zero arguments, so that -4095 means "the filter answered". */
    static final int MARKER_ERRNO = 4095;

    private KernelQuirks() {
    }

    /** Whether the kernel answers {@code nr} without running the stub's seccomp filter. */
    static boolean bypassesSeccomp(StubPlatformImpl platform, int nr) {
        Policy policy = platform.stubPolicy(Action.errno(MARKER_ERRNO));
        try (Stub probe = platform.attachedThread(Clone.CLONE_FILES, policy)) {
            return probe.syscall(nr) != -MARKER_ERRNO;
        }
    }

    /** The numbers in {@code 0..max} that the kernel answers without seccomp, outside the arch's table. */
    static List<Integer> bypassed(StubPlatformImpl platform, int max) {
        List<Integer> out = new ArrayList<>();
        Policy policy = platform.stubPolicy(Action.errno(MARKER_ERRNO));
        try (Stub probe = platform.attachedThread(Clone.CLONE_FILES, policy)) {
            for (int nr = 0; nr <= max; nr++) {
                if (HostArch.table().name(nr).isPresent()) {
                    continue; // a real syscall: must never be bypassed, the policy tests check it
                }
                if (probe.syscall(nr) != -MARKER_ERRNO) {
                    out.add(nr);
                }
            }
        }
        return out;
    }
}
