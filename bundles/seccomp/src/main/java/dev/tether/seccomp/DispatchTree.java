package dev.tether.seccomp;

import dev.tether.bpf.JumpCondition;
import dev.tether.seccomp.Dag.Node;
import dev.tether.seccomp.Dag.Test;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Lowers the syscall-number dispatch of one arch as a <b>range tree</b>: the numbers from 0 to
 * the top of the dispatched domain are cut into maximal intervals of consecutive numbers that
 * end in the same place (the same shared return, or the same syscall's rule chain), and a binary
 * tree of {@code JGE lo} tests (one BPF instruction per level, both branches conditional)
 * selects the interval. Docker's ~300 allowed syscalls form ~60 runs of consecutive numbers, so
 * ~120 intervals: about 7 levels where a search over 300 sorted numbers needs 9 levels of one
 * or two instructions each plus a final {@code JEQ} (libseccomp's binary tree, src/gen_bpf.c
 * {@code _gen_bpf_syscalls} with {@code SCMP_FLTATR_CTL_OPTIMIZE = 2}).
 *
 * <p>The tree's shape minimizes the expected depth when every number of the arch's syscall
 * table is equally likely (numbers outside the table get a small weight, so that they do not
 * sink arbitrarily deep): an optimal alphabetic tree over the intervals (dynamic programming
 * with Knuth's root monotonicity, O(n^2); Knuth, "Optimum binary search trees", Acta Informatica
 * 1, 1971). Above {@value #MAX_EXACT} intervals it splits at the weighted median instead
 * (O(n log n), within two levels of the optimum).
 */
final class DispatchTree {
    /** Above this many intervals the weighted-median split replaces the quadratic optimum. */
    static final int MAX_EXACT = 1024;
    /** Weight of one syscall-table number; a number outside the table weighs 1. */
    static final long TABLE_WEIGHT = 64;

    private DispatchTree() {
    }

    /** Numbers {@code lo..hi} (unsigned, inclusive) all end at {@code target}. */
    record Interval(long lo, long hi, Node target, long weight) {
    }

    /**
     * The intervals of {@code [0, top]}: listed numbers go to their chain, the others to
     * {@code otherwise}; neighbours ending at the same node are merged.
     *
     * @param chains syscall number -&gt; entry of its rule chain (numbers above {@code top} are ignored)
     * @param tableNumbers the arch's syscall numbers, for the weights
     */
    static List<Interval> intervals(Map<Integer, Node> chains, Node otherwise, long top, Collection<Integer> tableNumbers) {
        TreeSet<Long> table = new TreeSet<>();
        for (int nr : tableNumbers) {
            table.add(Integer.toUnsignedLong(nr));
        }
        List<long[]> bounds = new ArrayList<>(); // lo, hi
        List<Node> targets = new ArrayList<>();
        long next = 0;
        TreeSet<Long> listed = new TreeSet<>();
        for (int nr : chains.keySet()) {
            listed.add(Integer.toUnsignedLong(nr));
        }
        for (long nr : listed) {
            if (nr > top) {
                break;
            }
            if (nr > next) {
                add(bounds, targets, next, nr - 1, otherwise);
            }
            add(bounds, targets, nr, nr, chains.get((int) nr));
            next = nr + 1;
        }
        if (next <= top) {
            add(bounds, targets, next, top, otherwise);
        }
        List<Interval> out = new ArrayList<>(targets.size());
        for (int i = 0; i < targets.size(); i++) {
            long lo = bounds.get(i)[0];
            long hi = bounds.get(i)[1];
            long inTable = table.subSet(lo, true, hi, true).size();
            out.add(new Interval(lo, hi, targets.get(i), inTable * TABLE_WEIGHT + 1));
        }
        return out;
    }

    private static void add(List<long[]> bounds, List<Node> targets, long lo, long hi, Node target) {
        int last = targets.size() - 1;
        if (last >= 0 && targets.get(last) == target) {
            bounds.get(last)[1] = hi;
        } else {
            bounds.add(new long[] {lo, hi});
            targets.add(target);
        }
    }

    /** A node of the chosen tree: a leaf (an interval) or a split {@code nr >= lo(split)}. */
    record Shape(int from, int to, int split, Shape below, Shape above) {
        boolean leaf() {
            return from == to;
        }
    }

    /** The tree over {@code intervals} with the least weighted depth (exactly, or by weighted medians). */
    static Shape shape(List<Interval> intervals) {
        int n = intervals.size();
        long[] prefix = new long[n + 1];
        for (int i = 0; i < n; i++) {
            prefix[i + 1] = prefix[i] + intervals.get(i).weight();
        }
        if (n > MAX_EXACT) {
            return median(prefix, 0, n - 1);
        }
        // cost[i][j]: least sum of weight x depth over intervals i..j; root[i][j]: the first
        // interval of the upper half at that optimum (Knuth: root[i][j-1] <= root[i][j] <= root[i+1][j])
        long[][] cost = new long[n][n];
        int[][] root = new int[n][n];
        for (int len = 2; len <= n; len++) {
            for (int i = 0; i + len - 1 < n; i++) {
                int j = i + len - 1;
                int loK = len == 2 ? i + 1 : Math.max(i + 1, root[i][j - 1]);
                int hiK = len == 2 ? j : Math.min(j, root[i + 1][j]);
                long best = Long.MAX_VALUE;
                int bestK = loK;
                for (int k = loK; k <= hiK; k++) {
                    long c = cost[i][k - 1] + cost[k][j];
                    if (c < best) {
                        best = c;
                        bestK = k;
                    }
                }
                cost[i][j] = best + prefix[j + 1] - prefix[i];
                root[i][j] = bestK;
            }
        }
        return build(root, 0, n - 1);
    }

    private static Shape build(int[][] root, int i, int j) {
        if (i == j) {
            return new Shape(i, j, -1, null, null);
        }
        int k = root[i][j];
        return new Shape(i, j, k, build(root, i, k - 1), build(root, k, j));
    }

    /** Splits where the weight below is closest to half. */
    private static Shape median(long[] prefix, int i, int j) {
        if (i == j) {
            return new Shape(i, j, -1, null, null);
        }
        long half = (prefix[i] + prefix[j + 1]) / 2;
        int best = i + 1;
        for (int lo = i + 1, hi = j; lo <= hi; ) { // first k in (i, j] with prefix[k] >= half
            int mid = (lo + hi) >>> 1;
            if (prefix[mid] >= half) {
                best = mid;
                hi = mid - 1;
            } else {
                lo = mid + 1;
            }
        }
        if (best > i + 1 && half - prefix[best - 1] < prefix[best] - half) {
            best--;
        }
        return new Shape(i, j, best, median(prefix, i, best - 1), median(prefix, best, j));
    }

    /**
     * The dispatch DAG for {@code shape}: {@code JGE lo} tests on the syscall number (A holds it
     * throughout), leaves at their interval's node. Appends to {@code layout}, in layout order,
     * each test (pre-order, the lower half right after it) and, where a leaf is a rule chain, that
     * chain's entry right there: near the test that jumps to it, as short jumps need.
     */
    static Node lower(Shape shape, List<Interval> intervals, Dag.Factory f, List<Node> layout) {
        if (shape.leaf()) {
            Node target = intervals.get(shape.from()).target();
            if (target instanceof Test) {
                layout.add(target);
            }
            return target;
        }
        int at = layout.size();
        layout.add(null); // this test's place, filled once its successors exist
        Node below = lower(shape.below(), intervals, f, layout);
        Node above = lower(shape.above(), intervals, f, layout);
        Node t = f.test(SeccompData.OFFSET_NR, -1, JumpCondition.JGE, (int) intervals.get(shape.split()).lo(), above, below);
        layout.set(at, t);
        return t;
    }

    /** How many tests a number in interval {@code i} passes (the depth of its leaf). */
    static int depth(Shape shape, int i) {
        int d = 0;
        for (Shape s = shape; !s.leaf(); d++) {
            s = i < s.split() ? s.below() : s.above();
        }
        return d;
    }
}
