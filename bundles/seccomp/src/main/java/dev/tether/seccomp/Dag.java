package dev.tether.seccomp;

import dev.tether.bpf.JumpCondition;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The compiler's intermediate form: a decision DAG whose inner nodes test one 32-bit word of
 * {@code struct seccomp_data} (optionally masked) with one BPF condition, and whose leaves return
 * an action. Lowering turns a test into {@code [LD word] [AND mask] Jcc}, so the number of tests
 * on a path bounds the instructions executed on it.
 *
 * <p>Nodes carry an {@code order}: inner nodes are created successors-first, so a larger order
 * means "earlier in the program", and laying nodes out by decreasing order is a topological order
 * (all jumps forward). Building the rules back to front makes that order the order in which
 * gVisor's generator would emit the same tests, which keeps jumps as short as gVisor's.
 */
final class Dag {
    private Dag() {
    }

    /** A node: a test or a return. */
    abstract static sealed class Node permits Test, Ret {
        /** Layout key: larger = earlier in the program. */
        int order;
    }

    /** {@code RET K value}. */
    static final class Ret extends Node {
        final int value;

        Ret(int value) {
            this.value = value;
        }

        @Override
        public String toString() {
            return "ret 0x" + Integer.toHexString(value);
        }
    }

    /** Tests {@code (word & mask) op k} and continues with {@code t} or {@code f}. */
    static final class Test extends Node {
        final int word;
        final int mask;   // -1: no mask
        final JumpCondition op;
        final int k;
        Node t;
        Node f;

        Test(int word, int mask, JumpCondition op, int k, Node t, Node f) {
            this.word = word;
            this.mask = mask;
            this.op = op;
            this.k = k;
            this.t = t;
            this.f = f;
        }

        long variable() {
            return variable(word, mask);
        }

        static long variable(int word, int mask) {
            return ((long) word << 32) | Integer.toUnsignedLong(mask);
        }

        @Override
        public String toString() {
            return "[" + word + (mask == -1 ? "" : "&0x" + Integer.toHexString(mask)) + " " + op + " 0x" + Integer.toHexString(k) + "]";
        }
    }

    /**
     * Creates nodes with hash-consing (identical tests with identical successors are one node),
     * constant folding (tests whose outcome the mask decides) and {@code t == f} collapsing.
     * Returns are shared by every factory of one compilation.
     */
    static final class Factory {
        private final Map<Integer, Ret> rets;
        private final Map<List<Object>, Test> tests = new HashMap<>();
        private final int[] counter;

        Factory(Map<Integer, Ret> rets, int[] counter) {
            this.rets = rets;
            this.counter = counter;
        }

        /** A factory sharing the returns and order counter, with no tests. */
        Factory fresh() {
            return new Factory(rets, counter);
        }

        Ret ret(int value) {
            return rets.computeIfAbsent(value, v -> {
                Ret r = new Ret(v);
                r.order = Integer.MIN_VALUE; // returns are placed by the lowering, not by order
                return r;
            });
        }

        Node test(int word, int mask, JumpCondition op, int k, Node t, Node f) {
            return test(word, mask, op, k, t, f, ++counter[0]);
        }

        /** A test with a given layout order (canonicalization keeps the original order). */
        Node test(int word, int mask, JumpCondition op, int k, Node t, Node f, int order) {
            if (op == JumpCondition.JSET && mask != -1) {
                // (w & m) & k != 0  <=>  w & (m & k) != 0: no AND instruction needed.
                k &= mask;
                mask = -1;
            }
            Boolean c = PathFacts.Facts.NONE.decide(word, mask, op, k);
            if (c != null) {
                return c ? t : f;
            }
            if (t == f) {
                return t;
            }
            List<Object> key = List.of(word, mask, op, k, new Identity(t), new Identity(f));
            Test existing = tests.get(key);
            if (existing != null) {
                existing.order = Math.min(existing.order, order);
                return existing;
            }
            Test n = new Test(word, mask, op, k, t, f);
            n.order = order;
            tests.put(key, n);
            return n;
        }
    }

    /** Identity wrapper, so that hash keys compare successors by identity. */
    private static final class Identity {
        final Object o;

        Identity(Object o) {
            this.o = o;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Identity i && i.o == o;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(o);
        }
    }


    /** The tests reachable from {@code entry}, in layout order (decreasing order). */
    static List<Test> tests(Node entry) {
        List<Test> out = new ArrayList<>();
        Set<Node> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Node> stack = new ArrayList<>();
        stack.add(entry);
        while (!stack.isEmpty()) {
            Node n = stack.remove(stack.size() - 1);
            if (!(n instanceof Test t) || !seen.add(n)) {
                continue;
            }
            out.add(t);
            stack.add(t.t);
            stack.add(t.f);
        }
        out.sort((a, b) -> Integer.compare(b.order, a.order));
        return out;
    }

    /**
     * How many decided tests {@link #optimize} may step over in one round before it bounds each
     * edge's walk to {@link #MAX_SKIPPED_PER_EDGE}. A chain of N decided tests is walked from each
     * of up to N edges: quadratic (a syscall with 20,000 {@code eq} rules: 2*10^8 steps, minutes
     * with the rest). Programs that fit in 4096 instructions need at most a few million steps, so
     * they are threaded as before; larger ones get a linear round, and an error for their size.
     */
    static final long WALK_BUDGET = 1L << 22;
    /** The walk of one edge once the round's {@link #WALK_BUDGET} is spent. */
    static final int MAX_SKIPPED_PER_EDGE = 64;

    /**
     * Jump threading with path facts: an edge into a test whose outcome is implied by what is
     * known on that edge is redirected to the outcome, repeatedly, then the DAG is rebuilt with
     * hash-consing. Only removes tests from paths, never adds any. At most 8 rounds, each of them
     * linear in the number of tests once {@link #WALK_BUDGET} is spent (and the facts kept are
     * bounded: {@link #MAX_NOT_EQUAL}).
     */
    static Node optimize(Node entry, Factory factory) {
        for (int round = 0; round < 8 && entry instanceof Test; round++) {
            boolean changed = false;
            long budget = WALK_BUDGET;
            Map<Node, PathFacts.Facts> in = new IdentityHashMap<>();
            in.put(entry, PathFacts.Facts.NONE);
            for (Test n : tests(entry)) {
                PathFacts.Facts f = in.remove(n); // n's facts are complete: its predecessors come before it
                if (f == null) {
                    continue; // no longer reachable after redirections in this round
                }
                for (boolean taken : new boolean[] {true, false}) {
                    PathFacts.Facts fe = f.with(n.word, n.mask, n.op, n.k, taken);
                    Node succ = taken ? n.t : n.f;
                    Node s = succ;
                    for (int skipped = 0; s instanceof Test st && (budget > 0 || skipped < MAX_SKIPPED_PER_EDGE); skipped++) {
                        Boolean d = fe.decide(st.word, st.mask, st.op, st.k);
                        if (d == null) {
                            break;
                        }
                        s = d ? st.t : st.f;
                        budget--;
                    }
                    if (s != succ) {
                        if (taken) {
                            n.t = s;
                        } else {
                            n.f = s;
                        }
                        changed = true;
                    }
                    if (s instanceof Test) {
                        PathFacts.Facts prev = in.get(s);
                        in.put(s, prev == null ? fe : prev.meet(fe));
                    }
                }
            }
            entry = canonicalize(entry, factory.fresh());
            if (!changed) {
                break;
            }
        }
        return entry;
    }

    /**
     * The DAG rebuilt bottom-up through {@code f} (hash-consing, folding), each test keeping its
     * order. Iterative: a syscall with thousands of rules is a chain thousands of tests deep,
     * deeper than the thread's stack would allow a recursion to go.
     */
    private static Node canonicalize(Node entry, Factory f) {
        if (!(entry instanceof Test)) {
            return entry;
        }
        Map<Node, Node> memo = new IdentityHashMap<>();
        Deque<Test> stack = new ArrayDeque<>();
        stack.push((Test) entry);
        while (!stack.isEmpty()) {
            Test t = stack.peek();
            if (memo.containsKey(t)) {
                stack.pop();
                continue;
            }
            boolean ready = true;
            for (Node s : new Node[] {t.f, t.t}) {
                if (s instanceof Test st && !memo.containsKey(st)) {
                    stack.push(st);
                    ready = false;
                }
            }
            if (ready) {
                stack.pop();
                memo.put(t, f.test(t.word, t.mask, t.op, t.k, canonical(t.t, memo), canonical(t.f, memo), t.order));
            }
        }
        return memo.get(entry);
    }

    private static Node canonical(Node n, Map<Node, Node> memo) {
        return n instanceof Test ? memo.get(n) : n;
    }

    /** For sanity checks and debugging: a readable dump. */
    static String dump(Node entry) {
        StringBuilder sb = new StringBuilder();
        Map<Node, Integer> ids = new IdentityHashMap<>();
        List<Test> ts = tests(entry);
        for (int i = 0; i < ts.size(); i++) {
            ids.put(ts.get(i), i);
        }
        for (Test t : ts) {
            sb.append(ids.get(t)).append(": ").append(t).append(" ? ").append(name(t.t, ids)).append(" : ")
                    .append(name(t.f, ids)).append('\n');
        }
        return sb.toString();
    }

    private static String name(Node n, Map<Node, Integer> ids) {
        return n instanceof Test ? "#" + Objects.requireNonNull(ids.get(n)) : n.toString();
    }
}
