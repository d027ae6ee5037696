package dev.tether.seccomp;

import static org.junit.jupiter.api.Assertions.*;

import dev.tether.bpf.Interpreter;
import dev.tether.bpf.Program;
import dev.tether.seccomp.Dag.Node;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The range-tree dispatch: its intervals, the optimality of its shape, and programs built with it. */
class DispatchTreeTest {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int ARCH = Fixtures.AUDIT_ARCH_X86_64;

    @Test
    void neighboursEndingAlikeFormOneInterval() {
        Dag.Factory f = new Dag.Factory(new HashMap<>(), new int[1]);
        Node allow = f.ret(Action.RET_ALLOW);
        Node deny = f.ret(Action.RET_ERRNO | 1);
        Map<Integer, Node> chains = new TreeMap<>();
        for (int nr : new int[] {0, 1, 2, 3, 5, 6, 9}) {
            chains.put(nr, allow);
        }
        chains.put(4, deny); // the default's twin: merges with the gaps around it? no, 4 is between allowed numbers
        List<DispatchTree.Interval> iv = DispatchTree.intervals(chains, deny, 0xff, List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
        // [0,3] allow, [4,4] deny, [5,6] allow, [7,8] deny (gap), [9,9] allow, [10,255] deny (gap)
        assertEquals(List.of("0-3", "4-4", "5-6", "7-8", "9-9", "10-255"), iv.stream().map(i -> i.lo() + "-" + i.hi()).toList());
        assertEquals(List.of(4 * DispatchTree.TABLE_WEIGHT + 1, DispatchTree.TABLE_WEIGHT + 1, 2 * DispatchTree.TABLE_WEIGHT + 1,
                2 * DispatchTree.TABLE_WEIGHT + 1, DispatchTree.TABLE_WEIGHT + 1, 1L), iv.stream().map(DispatchTree.Interval::weight).toList());
        // the gap after 6 is the default, and so is 4: [4,4] and [7,8] stay apart (5..6 between them)
        assertSame(deny, iv.get(1).target());
        // numbers above the top are not dispatched
        assertEquals(List.of("0-3"), DispatchTree.intervals(Map.of(0, allow, 1, allow, 2, allow, 3, allow, 9, deny), allow, 3, List.of())
                .stream().map(i -> i.lo() + "-" + i.hi()).toList());
    }

    /** Least weighted depth over all alphabetic trees, by brute force. */
    private static long bruteForce(long[] w, int i, int j) {
        if (i == j) {
            return 0;
        }
        long sum = 0;
        for (int k = i; k <= j; k++) {
            sum += w[k];
        }
        long best = Long.MAX_VALUE;
        for (int k = i + 1; k <= j; k++) {
            best = Math.min(best, bruteForce(w, i, k - 1) + bruteForce(w, k, j));
        }
        return best + sum;
    }

    @Test
    void theShapeHasTheLeastWeightedDepth() {
        Random r = new Random(7);
        Node dummy = new Dag.Factory(new HashMap<>(), new int[1]).ret(0);
        for (int round = 0; round < 300; round++) {
            int n = 1 + r.nextInt(9);
            long[] w = new long[n];
            List<DispatchTree.Interval> iv = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                w[i] = r.nextInt(4) == 0 ? 1 : 1 + r.nextInt(500);
                iv.add(new DispatchTree.Interval(i, i, dummy, w[i]));
            }
            DispatchTree.Shape s = DispatchTree.shape(iv);
            long cost = 0;
            for (int i = 0; i < n; i++) {
                cost += w[i] * DispatchTree.depth(s, i);
            }
            assertEquals(bruteForce(w, 0, n - 1), cost, () -> java.util.Arrays.toString(w));
        }
    }

    @Test
    void consecutiveAllowedNumbersCostOneTestForTheirRange() {
        List<SyscallRule> allowed = new ArrayList<>();
        for (int nr = 0; nr < 100; nr++) {
            allowed.add(SyscallRule.any(nr));
        }
        Policy p = new Policy(Action.errno(1), Action.KILL_PROCESS, List.of(new RuleSet(Action.ALLOW, false, allowed)));
        Program prog = SeccompCompiler.compile(p, Fixtures.AMD64);
        // LD arch, JEQ, LD nr, JGE x32, JGE 100, RET
        for (int nr : new int[] {0, 42, 99, 100, 101, 5000}) {
            Interpreter.Result res = Interpreter.run(prog, SeccompData.of(nr, ARCH, 0).toBytes(LE), LE);
            assertEquals(nr < 100 ? Action.RET_ALLOW : Action.RET_ERRNO | 1, res.value());
            assertEquals(6, res.executed(), "nr " + nr);
        }
        // and the x32 guard's JEQ -1, and three returns
        assertEquals(9, prog.size(), () -> SeccompDisassembler.disassemble(prog, null));
    }

    /** Over {@link DispatchTree#MAX_EXACT} intervals the weighted median splits: still right, and shallow. */
    @Test
    void manyIntervalsSplitAtTheWeightedMedian() {
        List<SyscallRule> every3rd = new ArrayList<>();
        for (int nr = 0; nr < 1800; nr += 3) {
            every3rd.add(nr % 2 == 0 ? SyscallRule.any(nr) : SyscallRule.anyOf(nr, Rule.of(Matcher.eq(nr))));
        }
        Policy p = new Policy(Action.KILL_THREAD, Action.KILL_PROCESS, List.of(new RuleSet(Action.ALLOW, false, every3rd)));
        Program prog = SeccompCompiler.compile(p, Fixtures.ARM64);
        int worst = 0;
        for (int nr = 0; nr < 1810; nr++) {
            for (long a0 : new long[] {0, nr}) {
                SeccompData d = SeccompData.of(nr, Fixtures.AUDIT_ARCH_AARCH64, 0, a0);
                Interpreter.Result res = Interpreter.run(prog, d.toBytes(LE), LE);
                assertEquals(p.evaluate(d, Fixtures.ARM64).value(), res.value(), d::toString);
                worst = Math.max(worst, res.executed());
            }
        }
        // ~1200 intervals of total weight ~2600 (22 table numbers weigh 65): a weight-1 interval
        // sits ~log2(2600) = 11.3 levels deep, the median split adds at most 2; then LD arch, JEQ,
        // LD nr before, 2x (LD + JEQ) on arg0 and RET after, and in a 2400-instruction program up
        // to 3 far jumps through JA trampolines (the top levels jump over ~1000 instructions)
        assertTrue(worst <= 3 + 13 + 4 + 1 + 3, "worst path " + worst);
        assertTrue(prog.size() < 4096);
    }
}
