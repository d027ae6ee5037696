package dev.tether.seccomp;

import dev.tether.bpf.JumpCondition;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * What is known on a path through the decision {@link Dag}: per tested variable (a word of
 * {@code struct seccomp_data}, possibly masked) an unsigned range, known bits and excluded
 * values. {@link Dag#optimize} uses it for jump threading, {@link Dag.Factory} to fold tests
 * whose outcome the mask alone decides.
 */
final class PathFacts {
    private PathFacts() {
    }

    /**
     * How many excluded values ({@code !=} facts) are kept per variable. Facts only let tests be
     * skipped, so dropping some is sound; the bound keeps copying and meeting them linear in the
     * number of tests (a syscall with 20,000 {@code eq} rules made it quadratic: minutes).
     */
    static final int MAX_NOT_EQUAL = 256;

    /** What is known about one tested variable (a word, or a word under a mask), unsigned. */
    private static final class VarFact {
        long min;
        long max;
        int ones;   // bits known to be 1
        int zeros;  // bits known to be 0
        Set<Integer> notEq;

        VarFact(int mask) {
            min = 0;
            max = Integer.toUnsignedLong(mask); // (w & mask) <= mask
            ones = 0;
            zeros = ~mask;
            notEq = Set.of();
        }

        VarFact copy() {
            VarFact v = new VarFact(-1);
            v.min = min;
            v.max = max;
            v.ones = ones;
            v.zeros = zeros;
            v.notEq = notEq;
            return v;
        }
    }

    /** Facts that hold on every path into a node: a map from variable to what is known. */
    static final class Facts {
        static final Facts NONE = new Facts(Map.of());
        private final Map<Long, VarFact> vars;

        private Facts(Map<Long, VarFact> vars) {
            this.vars = vars;
        }

        /** The map key of a tested variable: a word of {@code seccomp_data}, with its mask (-1: none). */
        private static long key(int word, int mask) {
            return ((long) word << 32) | Integer.toUnsignedLong(mask);
        }

        private VarFact get(int word, int mask) {
            VarFact v = vars.get(key(word, mask));
            return v != null ? v : new VarFact(mask);
        }

        /** The outcome of the test if these facts decide it, else null. */
        Boolean decide(int word, int mask, JumpCondition op, int k) {
            VarFact v = get(word, mask);
            long uk = Integer.toUnsignedLong(k);
            switch (op) {
                case JEQ:
                    if (v.min == v.max) {
                        return v.min == uk;
                    }
                    if (uk < v.min || uk > v.max || (k & v.zeros) != 0 || (v.ones & ~k) != 0 || v.notEq.contains(k)) {
                        return false;
                    }
                    return null;
                case JGT:
                    if (v.min > uk) {
                        return true;
                    }
                    return v.max <= uk ? Boolean.FALSE : null;
                case JGE:
                    if (v.min >= uk) {
                        return true;
                    }
                    return v.max < uk ? Boolean.FALSE : null;
                default: // JSET
                    if ((k & v.ones) != 0) {
                        return true;
                    }
                    if ((k & ~v.zeros) == 0) {
                        return false;
                    }
                    if (v.min == v.max) {
                        return (v.min & Integer.toUnsignedLong(k)) != 0;
                    }
                    return null;
            }
        }

        /** These facts plus the outcome {@code taken} of the test {@code (word & mask) op k}. */
        Facts with(int word, int mask, JumpCondition op, int k, boolean taken) {
            VarFact v = get(word, mask).copy();
            long uk = Integer.toUnsignedLong(k);
            switch (op) {
                case JEQ:
                    if (taken) {
                        v.min = uk;
                        v.max = uk;
                        v.ones = k;
                        v.zeros = ~k;
                    } else {
                        if (v.notEq.size() < MAX_NOT_EQUAL && !v.notEq.contains(k)) {
                            Set<Integer> s = new HashSet<>(v.notEq);
                            s.add(k);
                            v.notEq = s;
                        }
                        if (v.min == uk) {
                            v.min++;
                        }
                        if (v.max == uk) {
                            v.max--;
                        }
                    }
                    break;
                case JGT:
                    if (taken) {
                        v.min = Math.max(v.min, uk + 1);
                    } else {
                        v.max = Math.min(v.max, uk);
                    }
                    break;
                case JGE:
                    if (taken) {
                        v.min = Math.max(v.min, uk);
                    } else {
                        v.max = Math.min(v.max, uk - 1);
                    }
                    break;
                default:
                    if (taken) {
                        if (Integer.bitCount(k) == 1) {
                            v.ones |= k;
                        }
                    } else {
                        v.zeros |= k;
                    }
                    break;
            }
            Map<Long, VarFact> m = new HashMap<>(vars);
            m.put(key(word, mask), v);
            return new Facts(m);
        }

        /** What holds on both sides of a merge. */
        Facts meet(Facts o) {
            Map<Long, VarFact> m = new HashMap<>();
            for (Map.Entry<Long, VarFact> e : vars.entrySet()) {
                VarFact b = o.vars.get(e.getKey());
                if (b == null) {
                    continue;
                }
                VarFact a = e.getValue();
                VarFact r = a.copy();
                r.min = Math.min(a.min, b.min);
                r.max = Math.max(a.max, b.max);
                r.ones = a.ones & b.ones;
                r.zeros = a.zeros & b.zeros;
                r.notEq = intersection(a.notEq, b.notEq);
                m.put(e.getKey(), r);
            }
            return new Facts(m);
        }
    }

    /** {@code a} and {@code b}'s common elements, sharing one of them when it is all of them. */
    private static Set<Integer> intersection(Set<Integer> a, Set<Integer> b) {
        if (a == b || a.isEmpty()) {
            return a;
        }
        if (b.isEmpty()) {
            return b;
        }
        Set<Integer> small = a.size() <= b.size() ? a : b;
        Set<Integer> large = small == a ? b : a;
        if (large.containsAll(small)) {
            return small;
        }
        Set<Integer> s = new HashSet<>();
        for (Integer k : small) {
            if (large.contains(k)) {
                s.add(k);
            }
        }
        return s;
    }
}
