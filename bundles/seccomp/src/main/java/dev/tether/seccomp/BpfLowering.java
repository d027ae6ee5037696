package dev.tether.seccomp;

import dev.tether.bpf.Bpf;
import dev.tether.bpf.Program;
import dev.tether.bpf.ProgramBuilder;
import dev.tether.seccomp.Dag.Node;
import dev.tether.seccomp.Dag.Ret;
import dev.tether.seccomp.Dag.Test;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decision DAG to BPF: each test becomes {@code [LD word] [AND mask] Jcc} in the given layout
 * order, the load and mask left out when A already holds that value on every path into the
 * test; returns are shared through a pool emitted near the jumps that use them.
 */
final class BpfLowering {
    /** Flush shared returns once a pending jump to them is this far back (< 255 leaves room for trampolines). */
    private static final int POOL_REACH = 200;

    private BpfLowering() {
    }

    static Program lower(Node root, List<Test> order) {
        ProgramBuilder b = new ProgramBuilder();
        if (!(root instanceof Test)) {
            b.stmt(Bpf.BPF_RET | Bpf.BPF_K, ((Ret) root).value);
            return b.build();
        }
        // What A holds on entry to each test: the meet of its predecessors' tested variable.
        Map<Node, Long> entryState = new IdentityHashMap<>();
        final long unknown = Long.MIN_VALUE;
        for (Test t : order) {
            for (Node s : new Node[] {t.t, t.f}) {
                if (s instanceof Test) {
                    Long prev = entryState.get(s);
                    entryState.put(s, prev == null || prev == t.variable() ? t.variable() : unknown);
                }
            }
        }
        Map<Node, String> labels = new IdentityHashMap<>();
        for (int i = 0; i < order.size(); i++) {
            labels.put(order.get(i), "n" + i);
        }
        Pool pool = new Pool(b);
        for (Test t : order) {
            pool.flushIfFar();
            b.label(labels.get(t));
            Long st = entryState.get(t);
            long state = st == null ? unknown : st;
            int stWord = (int) (state >> 32);
            int stMask = (int) state;
            boolean load = state == unknown || stWord != t.word || (stMask & t.mask) != t.mask;
            if (load) {
                b.stmt(Bpf.BPF_LD | Bpf.BPF_W | Bpf.BPF_ABS, t.word);
            }
            if (t.mask != -1 && (load || stMask != t.mask)) {
                b.stmt(Bpf.BPF_ALU | Bpf.BPF_AND | Bpf.BPF_K, t.mask);
            }
            b.jumpIf(t.op, t.k, target(t.t, labels, pool), target(t.f, labels, pool));
        }
        pool.flush();
        return b.build();
    }

    private static String target(Node n, Map<Node, String> labels, Pool pool) {
        if (n instanceof Ret r) {
            return pool.reference(r.value);
        }
        return labels.get(n);
    }

    /**
     * Shared returns: a jump to a return refers to the next copy of it; copies are emitted when a
     * pending reference gets far, and at the end.
     */
    private static final class Pool {
        private final ProgramBuilder b;
        private final Map<Integer, String> pending = new LinkedHashMap<>();
        private int firstReference = -1;
        private int generation;

        Pool(ProgramBuilder b) {
            this.b = b;
        }

        String reference(int value) {
            String l = pending.get(value);
            if (l == null) {
                l = "ret" + generation + "_" + Integer.toHexString(value);
                pending.put(value, l);
                if (firstReference < 0) {
                    firstReference = b.size();
                }
            }
            return l;
        }

        void flushIfFar() {
            if (firstReference >= 0 && b.size() - firstReference > POOL_REACH) {
                flush();
            }
        }

        void flush() {
            for (Map.Entry<Integer, String> e : pending.entrySet()) {
                b.label(e.getValue());
                b.stmt(Bpf.BPF_RET | Bpf.BPF_K, e.getKey());
            }
            pending.clear();
            firstReference = -1;
            generation++;
        }
    }
}
