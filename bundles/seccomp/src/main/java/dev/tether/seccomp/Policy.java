package dev.tether.seccomp;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A complete seccomp policy: ordered rule sets plus the default and bad-arch actions, and what
 * happens to the syscalls of a {@link ForeignAbi} (x32 on amd64). Syscall numbers are already
 * resolved for one architecture (see {@link SyscallTable}).
 *
 * @param defaultAction what a syscall no rule set decides gets
 * @param badArchAction what a foreign arch's syscall gets, and (by default) a foreign ABI's;
 *        null means {@link Action#KILL_PROCESS}
 * @param ruleSets the rule sets, in order
 * @param foreignAbiSyscalls who decides the syscall numbers of the architecture's foreign ABI;
 *        null means {@link ForeignAbiSyscalls#BAD_ARCH_ACTION}. Ignored on an architecture
 *        without one.
 */
public record Policy(Action defaultAction, Action badArchAction, List<RuleSet> ruleSets, ForeignAbiSyscalls foreignAbiSyscalls) {
    /** Checks the default action and fills in the defaults. */
    public Policy {
        if (defaultAction == null) {
            throw new IllegalArgumentException("policy without default action");
        }
        if (badArchAction == null) {
            badArchAction = Action.KILL_PROCESS;
        }
        if (foreignAbiSyscalls == null) {
            foreignAbiSyscalls = ForeignAbiSyscalls.BAD_ARCH_ACTION;
        }
        ruleSets = List.copyOf(ruleSets);
    }

    /** A policy whose foreign-ABI syscalls get the bad-arch action (the default). */
    public Policy(Action defaultAction, Action badArchAction, List<RuleSet> ruleSets) {
        this(defaultAction, badArchAction, ruleSets, ForeignAbiSyscalls.BAD_ARCH_ACTION);
    }

    /** This policy with other rule sets. */
    public Policy withRuleSets(List<RuleSet> sets) {
        return new Policy(defaultAction, badArchAction, sets, foreignAbiSyscalls);
    }

    /** This policy with another bad-arch action. */
    public Policy withBadArch(Action action) {
        return new Policy(defaultAction, action, ruleSets, foreignAbiSyscalls);
    }

    /** This policy with foreign-ABI syscalls decided by {@code who}. */
    public Policy withForeignAbiSyscalls(ForeignAbiSyscalls who) {
        return new Policy(defaultAction, badArchAction, ruleSets, who);
    }

    /**
     * The foreign ABI whose numbers this policy sends to the bad-arch action on {@code table}'s
     * architecture: the table's, unless the policy leaves them to the rule sets.
     */
    public Optional<ForeignAbi> guardedAbi(SyscallTable table) {
        return foreignAbiSyscalls == ForeignAbiSyscalls.BAD_ARCH_ACTION ? table.foreignAbi() : Optional.empty();
    }

    /**
     * The verdict contract (see the package documentation), evaluated directly on the rules for
     * {@code table}'s architecture (its audit arch and foreign ABI): the reference every
     * compiled program is tested against.
     */
    public Action evaluate(SeccompData data, SyscallTable table) {
        return decide(data, table).action();
    }

    /** {@link #evaluate}, saying which part of the policy gave the verdict. */
    public Verdict decide(SeccompData data, SyscallTable table) {
        if (data.arch() != table.auditArch()) {
            return new Verdict(badArchAction, Verdict.Reason.BAD_ARCH, -1, -1, -1, List.of());
        }
        Optional<ForeignAbi> guarded = guardedAbi(table);
        if (guarded.isPresent() && guarded.get().owns(data.nr())) {
            return new Verdict(badArchAction, Verdict.Reason.FOREIGN_ABI, -1, -1, -1, List.of());
        }
        List<Integer> passed = new ArrayList<>();
        for (int i = 0; i < ruleSets.size(); i++) {
            RuleSet set = ruleSets.get(i);
            SyscallRule s = set.find(data.nr());
            if (s == null) {
                continue;
            }
            if (set.vsyscall() && data.instructionPointer() >= 0) {
                passed.add(i);
                continue; // bit 63 clear: not a call from the vsyscall page
            }
            int rule = s.matchAll() ? -1 : s.firstMatch(data.argsArray(), data.instructionPointer());
            if (s.matchAll() || rule >= 0) {
                return new Verdict(set.action(), Verdict.Reason.RULE_SET, i, set.syscalls().indexOf(s), rule, passed);
            }
            passed.add(i);
        }
        return new Verdict(defaultAction, Verdict.Reason.DEFAULT, -1, -1, -1, passed);
    }
}
