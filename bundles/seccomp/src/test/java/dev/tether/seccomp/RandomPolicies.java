package dev.tether.seccomp;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/** Seeded random policies and inputs that exercise every matcher kind and its edges. */
final class RandomPolicies {
    private RandomPolicies() {
    }

    /** The seed of a test run: -Dtether.seed=N overrides the default. */
    static long seed(long dflt) {
        return Long.getLong("tether.seed", dflt);
    }

    /** Values near the edges of the 32- and 64-bit halves. */
    static final long[] EDGES = {
        0L, 1L, 2L, 0x7fffffffL, 0x80000000L, 0xffffffffL, 0x100000000L, 0x100000001L,
        0x7fffffffffffffffL, 0x8000000000000000L, 0xffffffffffffffffL, 0xfffffffeffffffffL, 0xffffffff00000000L,
        0x409L, 0x12f00L, 19L, 0x1234567800000000L, 0x12345678ffffffffL,
    };

    /** Syscall numbers: overlaps across sets are likely. */
    static final int[] NRS = {0, 1, 2, 3, 5, 8, 9, 11, 39, 56, 60, 61, 62, 96, 110, 157, 158, 201, 255, 256, 309, 400, 1000, 4095};

    /**
     * Syscall numbers of x86-64's x32 ABI (__X32_SYSCALL_BIT = 0x40000000 and up) and their
     * edges: x32's read, getpid, ptrace (0x40000209), the last int.
     */
    static final int[] X32_NRS = {0x40000000, 0x40000001, 0x40000027, 0x40000209, 0x40000400, 0x7ffffffe, 0x7fffffff};
    static long value(Random r) {
        switch (r.nextInt(4)) {
            case 0: return EDGES[r.nextInt(EDGES.length)];
            case 1: return EDGES[r.nextInt(EDGES.length)] + (r.nextBoolean() ? 1 : -1);
            case 2: return r.nextInt(64);
            default: return r.nextLong();
        }
    }

    static long mask(Random r) {
        switch (r.nextInt(8)) {
            case 0: return 0;
            case 1: return 0xff;
            case 2: return 1L << r.nextInt(64);
            case 3: return 0xffffffff00000000L;
            case 4: return -1L;
            case 5: return 0x80000000L;
            case 6: return 0xffffffffL;
            default: return r.nextLong();
        }
    }

    static Matcher matcher(Random r) {
        long v = value(r);
        switch (r.nextInt(8)) {
            case 0: return Matcher.eq(v);
            case 1: return Matcher.ne(v);
            case 2: return Matcher.gt(v);
            case 3: return Matcher.ge(v);
            case 4: return Matcher.lt(v);
            case 5: return Matcher.le(v);
            case 6: return Matcher.any();
            default: {
                long m = mask(r);
                // Mostly satisfiable; sometimes a value with bits outside the mask (never holds).
                long val = r.nextInt(5) == 0 ? value(r) : (r.nextBoolean() ? m : value(r) & m);
                return Matcher.maskedEq(m, val);
            }
        }
    }

    static Action action(Random r) {
        switch (r.nextInt(8)) {
            case 0: return Action.ALLOW;
            case 1: return Action.KILL_THREAD;
            case 2: return Action.KILL_PROCESS;
            case 3: return Action.TRAP;
            case 4: return Action.LOG;
            case 5: return Action.errno(1 + r.nextInt(3));
            case 6: return Action.trace(r.nextInt(3));
            default: return Action.ALLOW;
        }
    }

    static Rule rule(Random r) {
        List<Matcher> args = new ArrayList<>();
        int n = r.nextInt(Rule.MAX_ARGS + 1);
        for (int i = 0; i < n; i++) {
            args.add(r.nextInt(3) == 0 ? matcher(r) : null);
        }
        Matcher ip = r.nextInt(8) == 0 ? matcher(r) : null;
        return new Rule(args, ip);
    }

    /**
     * A random policy.
     *
     * @param maxSets at most this many rule sets
     * @param maxSyscalls at most this many syscalls per set
     */
    static Policy policy(Random r, int maxSets, int maxSyscalls) {
        List<RuleSet> sets = new ArrayList<>();
        int nsets = 1 + r.nextInt(maxSets);
        for (int i = 0; i < nsets; i++) {
            Set<Integer> nrs = new LinkedHashSet<>();
            int ns = 1 + r.nextInt(maxSyscalls);
            for (int j = 0; j < ns; j++) {
                int pick = r.nextInt(12);
                nrs.add(pick < 4 ? r.nextInt(500) : pick < 11 ? NRS[r.nextInt(NRS.length)] : X32_NRS[r.nextInt(X32_NRS.length)]);
            }
            List<SyscallRule> syscalls = new ArrayList<>();
            for (int nr : nrs) {
                if (r.nextInt(4) == 0) {
                    syscalls.add(SyscallRule.any(nr));
                } else {
                    List<Rule> rules = new ArrayList<>();
                    int nr2 = 1 + r.nextInt(3);
                    for (int k = 0; k < nr2; k++) {
                        rules.add(rule(r));
                    }
                    syscalls.add(new SyscallRule(nr, false, rules));
                }
            }
            sets.add(new RuleSet(action(r), r.nextInt(5) == 0, syscalls));
        }
        // x32 numbers: mostly the bad-arch action (the default), sometimes left to the rules
        ForeignAbiSyscalls foreign = r.nextInt(3) == 0 ? ForeignAbiSyscalls.RULE_SETS : r.nextBoolean() ? null
                : ForeignAbiSyscalls.BAD_ARCH_ACTION;
        return new Policy(action(r), r.nextInt(3) == 0 ? null : action(r), sets, foreign);
    }

    /** A value satisfying {@code m} (or a random one when none exists). */
    static long satisfying(Matcher m, Random r) {
        if (m instanceof Matcher.Eq e) {
            return e.value();
        }
        if (m instanceof Matcher.Ne e) {
            return e.value() + 1 + r.nextInt(2);
        }
        if (m instanceof Matcher.Gt e) {
            return e.value() == -1L ? value(r) : e.value() + 1;
        }
        if (m instanceof Matcher.Ge e) {
            return e.value();
        }
        if (m instanceof Matcher.Lt e) {
            return e.value() == 0 ? value(r) : e.value() - 1;
        }
        if (m instanceof Matcher.Le e) {
            return e.value();
        }
        if (m instanceof Matcher.MaskedEq me) {
            return me.value() | (value(r) & ~me.mask());
        }
        return value(r);
    }

    /** The matcher's own constants and their neighbours. */
    static List<Long> constants(Matcher m) {
        List<Long> out = new ArrayList<>();
        long v;
        if (m instanceof Matcher.MaskedEq me) {
            v = me.value();
            out.add(me.mask());
            out.add(~me.mask());
        } else if (m instanceof Matcher.Any) {
            return out;
        } else {
            v = m instanceof Matcher.Eq e ? e.value() : m instanceof Matcher.Ne e ? e.value() : m instanceof Matcher.Gt e ? e.value()
                    : m instanceof Matcher.Ge e ? e.value() : m instanceof Matcher.Lt e ? e.value() : ((Matcher.Le) m).value();
        }
        for (long d = -1; d <= 1; d++) {
            out.add(v + d);
            out.add(v + (d << 32));
        }
        return out;
    }

    /**
     * Inputs for {@code nr}: zeros; for each rule listing it, an input satisfying the rule, that
     * input with each constrained slot set to the matcher's constants +-1 and to edge values;
     * with the IP's bit 63 set and clear.
     */
    static List<SeccompData> inputs(Policy p, int nr, int arch, Random r) {
        List<SeccompData> out = new ArrayList<>();
        out.add(SeccompData.of(nr, arch, 0));
        out.add(SeccompData.of(nr, arch, 0x8000000000000000L | r.nextInt(1 << 20)));
        for (RuleSet set : p.ruleSets()) {
            SyscallRule s = set.find(nr);
            if (s == null || s.matchAll()) {
                continue;
            }
            for (Rule rule : s.anyOf()) {
                long[] args = new long[Rule.MAX_ARGS];
                for (int i = 0; i < Rule.MAX_ARGS; i++) {
                    args[i] = satisfying(rule.args().get(i), r);
                }
                long ip = satisfying(rule.ip(), r);
                if (set.vsyscall() && r.nextBoolean()) {
                    ip |= 0x8000000000000000L;
                }
                out.add(new SeccompData(nr, arch, ip, args));
                out.add(new SeccompData(nr, arch, ip ^ 0x8000000000000000L, args));
                for (int slot = 0; slot <= Rule.MAX_ARGS; slot++) {
                    Matcher m = slot < Rule.MAX_ARGS ? rule.args().get(slot) : rule.ip();
                    List<Long> vals = constants(m);
                    if (!vals.isEmpty()) {
                        vals.add(EDGES[r.nextInt(EDGES.length)]);
                    }
                    for (long v : vals) {
                        long[] a = args.clone();
                        long ip2 = ip;
                        if (slot < Rule.MAX_ARGS) {
                            a[slot] = v;
                        } else {
                            ip2 = v;
                        }
                        out.add(new SeccompData(nr, arch, ip2, a));
                    }
                }
            }
        }
        return out;
    }

    /** Every syscall number of {@code p}, some others, each with {@link #inputs}, plus a foreign arch. */
    static List<SeccompData> allInputs(Policy p, int arch, Random r) {
        Set<Integer> nrs = new LinkedHashSet<>();
        for (RuleSet set : p.ruleSets()) {
            for (SyscallRule s : set.syscalls()) {
                nrs.add(s.nr());
                nrs.add(s.nr() + 1);
                nrs.add(Math.max(0, s.nr() - 1));
            }
        }
        nrs.add(r.nextInt(1024));
        nrs.add(0x7fffffff);
        // x32 (amd64's foreign ABI) and what lies around it: the first number and the one
        // below, x32 twins of the listed ones, the top of the int range and above it (negative),
        // -2, and -1 (a skipped syscall, which is nobody's)
        nrs.add(0x3fffffff);
        nrs.add(0x40000000);
        for (int x : X32_NRS) {
            if (r.nextInt(3) == 0) {
                nrs.add(x);
            }
        }
        List<Integer> listed = new ArrayList<>(nrs);
        for (int i = 0; i < 3 && !listed.isEmpty(); i++) {
            nrs.add(0x40000000 | listed.get(r.nextInt(listed.size())));
        }
        nrs.add(0x80000000);
        nrs.add(0x80000000 | 39);
        nrs.add(-2);
        List<SeccompData> out = new ArrayList<>();
        for (int nr : nrs) {
            out.addAll(inputs(p, nr, arch, r));
        }
        out.add(SeccompData.of(nrs.iterator().next(), Fixtures.AUDIT_ARCH_I386, 0));
        out.add(SeccompData.of(-1, arch, 0));
        return out;
    }
}
