package dev.tether.core;

import dev.tether.abi.Clone;
import dev.tether.api.Stub;
import dev.tether.seccomp.Action;
import dev.tether.seccomp.Policy;
import java.util.ArrayList;
import java.util.List;

/**
 * Syscall numbers this kernel handles before seccomp runs. On the CI machines' kernel
 * (6.18.x "-fc", a Firecracker guest kernel) x86-64's 335 and 336 are uretprobe and uprobe
 * (arch/x86/entry/syscalls/syscall_64.tbl, Linux 6.11 and 6.16), which seccomp lets through
 * without running the filter (kernel/seccomp.c, {@code seccomp_uprobe_exception}): a filter that
 * kills or fails everything is never asked, and the call returns -EPERM / -ENXIO. No filter can
 * act on them, so the policy tests detect them (a stub whose default action is ERRNO(4095) does
 * not get -4095 back) and treat them as the kernel's, not Tether's, behaviour. Only those two and
 * numbers outside the kernel's syscall table may be bypassed; any other syscall escaping the
 * filter fails the tests.
 */
final class KernelQuirks {
    /** An errno no real syscall returns for zero arguments, so that -4095 means "the filter answered". */
    static final int MARKER_ERRNO = 4095;

    private KernelQuirks() {
    }

    /** The syscalls seccomp lets through unfiltered (kernel/seccomp.c {@code seccomp_uprobe_exception}). */
    static final java.util.Set<String> UNFILTERED = java.util.Set.of("uretprobe", "uprobe");

    /** Whether a syscall of this name (empty: no syscall of the table) may bypass the filter. */
    static boolean mayBypass(java.util.Optional<String> name) {
        return name.isEmpty() || UNFILTERED.contains(name.get());
    }

    /** Whether the kernel answers {@code nr} without running the stub's seccomp filter. */
    static boolean bypassesSeccomp(StubPlatformImpl platform, int nr) {
        Policy policy = platform.stubPolicy(Action.errno(MARKER_ERRNO));
        try (Stub probe = platform.attachedThread(Clone.CLONE_FILES, policy)) {
            return probe.syscall(nr) != -MARKER_ERRNO;
        }
    }

    /** The numbers in {@code 0..max} that the kernel answers without seccomp (see {@link #mayBypass}). */
    static List<Integer> bypassed(StubPlatformImpl platform, int max) {
        List<Integer> out = new ArrayList<>();
        Policy policy = platform.stubPolicy(Action.errno(MARKER_ERRNO));
        try (Stub probe = platform.attachedThread(Clone.CLONE_FILES, policy)) {
            for (int nr = 0; nr <= max; nr++) {
                if (!mayBypass(TestArch.table().name(nr))) {
                    continue; // a filtered syscall: must never be bypassed, the policy tests check it
                }
                if (probe.syscall(nr) != -MARKER_ERRNO) {
                    out.add(nr);
                }
            }
        }
        return out;
    }
}
