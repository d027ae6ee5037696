package dev.tether.seccomp;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A {@link Policy}'s verdict on one {@code seccomp_data} and what gave it
 * ({@link Policy#decide}). Indices count from 0, as the rule file's JSON paths do.
 *
 * @param action the verdict
 * @param reason which part of the policy gave it
 * @param ruleSet for {@link Reason#RULE_SET}: the index of the deciding rule set, else -1
 * @param syscall for {@link Reason#RULE_SET}: the index of the syscall entry in that set, else -1
 * @param rule for {@link Reason#RULE_SET}: the index of the first matching rule of the entry's
 *        {@code anyOf}, -1 when the entry matches any arguments
 * @param passed the rule sets that list the syscall but did not decide it (no rule matched, or
 *        a vsyscall set and the call is not from the vsyscall page), in order
 */
public record Verdict(Action action, Reason reason, int ruleSet, int syscall, int rule, List<Integer> passed) {
    /** Which part of a policy gave a verdict. */
    public enum Reason {
        /** {@code seccomp_data.arch} is not the policy's arch: the bad-arch action. */
        BAD_ARCH,
        /** A syscall number of the arch's foreign ABI (x32): the bad-arch action. */
        FOREIGN_ABI,
        /** A rule set. */
        RULE_SET,
        /** No rule set decided: the default action. */
        DEFAULT
    }

    /** Copies the list. */
    public Verdict {
        passed = List.copyOf(passed);
    }

    /**
     * One line saying what decided, for people: {@code ruleSets[0].syscalls[2].anyOf[0]: kill (62)
     * {arg1 == 0x9}}, {@code defaultAction: no rule set lists getpid (39)}, ...
     *
     * @param policy the policy that gave this verdict
     * @param table the syscall table it was evaluated for (names, audit arch, foreign ABI)
     * @param data the input
     */
    public String describe(Policy policy, SyscallTable table, SeccompData data) {
        switch (reason) {
            case BAD_ARCH:
                return String.format("badArchAction: seccomp_data.arch 0x%08x is not %s's 0x%08x", data.arch(), table.arch(),
                        table.auditArch());
            case FOREIGN_ABI: {
                ForeignAbi abi = table.foreignAbi().orElseThrow();
                return String.format("badArchAction: nr 0x%08x is an %s syscall (0x%x and up; \"%s\": \"%s\")", data.nr(), abi.name(),
                        abi.syscallBit(), abi.name(), ForeignAbiSyscalls.BAD_ARCH_ACTION.spelling());
            }
            case RULE_SET: {
                RuleSet set = policy.ruleSets().get(ruleSet);
                SyscallRule s = set.syscalls().get(syscall);
                StringBuilder sb = new StringBuilder("ruleSets[").append(ruleSet).append("].syscalls[").append(syscall).append(']');
                if (rule >= 0) {
                    sb.append(".anyOf[").append(rule).append(']');
                }
                sb.append(": ").append(syscallName(table, data.nr()));
                sb.append(rule >= 0 ? " " + s.anyOf().get(rule) : ", any arguments");
                if (set.vsyscall()) {
                    sb.append(", from the vsyscall page (\"vsyscall\": true)");
                }
                if (!passed.isEmpty()) {
                    sb.append("; not decided before by ").append(passedText(policy));
                }
                return sb.toString();
            }
            default:
                if (passed.isEmpty()) {
                    return "defaultAction: no rule set lists " + syscallName(table, data.nr());
                }
                return "defaultAction: " + syscallName(table, data.nr()) + " is listed by " + passedText(policy);
        }
    }

    private String passedText(Policy policy) {
        List<String> parts = new ArrayList<>();
        for (int i : passed) {
            parts.add("ruleSets[" + i + "] (" + (policy.ruleSets().get(i).vsyscall() ? "vsyscall page only" : "no rule matched") + ")");
        }
        return String.join(", ", parts);
    }

    /** {@code kill (62)}, or {@code syscall 1073742345 (0x40000209)} for a number without a name. */
    static String syscallName(SyscallTable table, int nr) {
        Optional<String> name = table.name(nr);
        return name.isPresent() ? name.get() + " (" + nr + ")" : "syscall " + nr + " (0x" + Integer.toHexString(nr) + ")";
    }
}
