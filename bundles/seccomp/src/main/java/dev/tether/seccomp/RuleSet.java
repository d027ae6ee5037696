package dev.tether.seccomp;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * An ordered group of syscall rules sharing one action (gVisor's {@code RuleSet}). A
 * {@code vsyscall} set only applies when bit 63 of the instruction pointer is set (a call from
 * the legacy vsyscall page, which the kernel reports with its kernel-half address).
 */
public record RuleSet(Action action, boolean vsyscall, List<SyscallRule> syscalls) {
    public RuleSet {
        if (action == null) {
            throw new IllegalArgumentException("rule set without action");
        }
        syscalls = List.copyOf(syscalls);
        Set<Integer> seen = new HashSet<>();
        for (SyscallRule s : syscalls) {
            if (!seen.add(s.nr())) {
                throw new IllegalArgumentException("syscall " + s.nr() + " listed twice in one rule set");
            }
        }
    }

    public static RuleSet of(Action action, SyscallRule... syscalls) {
        return new RuleSet(action, false, List.of(syscalls));
    }

    /** The entry for {@code nr}, or null. */
    public SyscallRule find(int nr) {
        for (SyscallRule s : syscalls) {
            if (s.nr() == nr) {
                return s;
            }
        }
        return null;
    }
}
