package dev.tether.seccomp;

import java.util.List;

/**
 * What a rule set says about one syscall number: it matches all arguments, or it matches when
 * any of an OR-list of {@link Rule}s holds.
 *
 * @param nr the syscall number (for the target architecture)
 * @param matchAll true: any arguments match ({@code anyOf} is empty)
 * @param anyOf the OR-list (non-empty unless {@code matchAll})
 */
public record SyscallRule(int nr, boolean matchAll, List<Rule> anyOf) {
    public SyscallRule {
        if (nr < 0) {
            throw new IllegalArgumentException("syscall number " + nr + " is negative");
        }
        anyOf = List.copyOf(anyOf);
        if (matchAll && !anyOf.isEmpty()) {
            throw new IllegalArgumentException("syscall " + nr + ": matchAll with rules");
        }
        if (!matchAll && anyOf.isEmpty()) {
            throw new IllegalArgumentException("syscall " + nr + ": empty OR-list of rules (use matchAll for any arguments)");
        }
    }

    /** The syscall with any arguments. */
    public static SyscallRule any(int nr) {
        return new SyscallRule(nr, true, List.of());
    }

    /** The syscall when any of {@code rules} holds. */
    public static SyscallRule anyOf(int nr, Rule... rules) {
        return new SyscallRule(nr, false, List.of(rules));
    }

    /** Whether this syscall entry matches the given arguments and instruction pointer. */
    public boolean test(long[] args, long ip) {
        return matchAll || firstMatch(args, ip) >= 0;
    }

    /** The index of the first rule of {@code anyOf} that holds, or -1 (always -1 with {@code matchAll}). */
    public int firstMatch(long[] args, long ip) {
        for (int i = 0; i < anyOf.size(); i++) {
            if (anyOf.get(i).test(args, ip)) {
                return i;
            }
        }
        return -1;
    }
}
