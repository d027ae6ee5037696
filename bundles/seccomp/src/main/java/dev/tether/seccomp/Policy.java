package dev.tether.seccomp;

import java.util.List;

/**
 * A complete seccomp policy: ordered rule sets plus the default and bad-arch actions. Syscall
 * numbers are already resolved for one architecture (see {@link SyscallTable}).
 */
public record Policy(Action defaultAction, Action badArchAction, List<RuleSet> ruleSets) {
    public Policy {
        if (defaultAction == null) {
            throw new IllegalArgumentException("policy without default action");
        }
        if (badArchAction == null) {
            badArchAction = Action.KILL_PROCESS;
        }
        ruleSets = List.copyOf(ruleSets);
    }

    /**
     * The verdict contract (see the package documentation), evaluated directly on the rules: the
     * reference every compiled program is tested against.
     */
    public Action evaluate(SeccompData data, int auditArch) {
        if (data.arch() != auditArch) {
            return badArchAction;
        }
        for (RuleSet set : ruleSets) {
            SyscallRule s = set.find(data.nr());
            if (s == null) {
                continue;
            }
            if (set.vsyscall() && data.instructionPointer() >= 0) {
                continue; // bit 63 clear: not a call from the vsyscall page
            }
            if (s.test(data.argsArray(), data.instructionPointer())) {
                return set.action();
            }
        }
        return defaultAction;
    }
}
