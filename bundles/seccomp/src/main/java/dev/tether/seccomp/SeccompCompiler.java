package dev.tether.seccomp;

import dev.tether.bpf.Bpf;
import dev.tether.bpf.BpfException;
import dev.tether.bpf.JumpCondition;
import dev.tether.bpf.Program;
import dev.tether.bpf.ProgramBuilder;
import dev.tether.seccomp.Dag.Node;
import dev.tether.seccomp.Dag.Ret;
import dev.tether.seccomp.Dag.Test;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Compiles a {@link Policy} into a seccomp BPF program that implements exactly the verdict
 * contract of the package documentation ({@link Policy#evaluate} is the reference).
 *
 * <p><b>Structure</b> (gVisor's generator, spec §7.3): check {@code arch} (else the bad-arch
 * action), load {@code nr}; on an architecture with a {@link ForeignAbi} (x32 on amd64) whose
 * syscalls the policy leaves to the bad-arch action, {@code nr >= syscallBit && nr != -1} gives
 * the bad-arch action (libseccomp's {@code _gen_bpf_arch} in src/gen_bpf.c, two instructions
 * right after the arch check, one on the path of every other syscall); then find {@code nr} by
 * binary search over the sorted syscall numbers of all rule sets (gVisor's tree shape: node =
 * middle element, pre-order), then test the rule sets listing that syscall in order; 64-bit
 * comparisons are made of two 32-bit halves; a vsyscall rule set first tests bit 31 of the
 * instruction pointer's high word.
 *
 * <p><b>Differences from gVisor's 2021 generator</b>, which has no foreign-ABI check: that check
 * adds one instruction to the path of every native syscall (a foreign-ABI number returns two
 * instructions after it); everything else only
 * removes instructions from paths, so that on every input a program without the check (a
 * policy with {@link ForeignAbiSyscalls#RULE_SETS}, or an arch without a foreign ABI) executes at
 * most as many instructions as gVisor's does on the same rules (tested):
 * <ul>
 * <li>a tree node costs {@code JEQ + JGT} (conditional jumps straight to their targets) instead of
 * {@code JEQ + JGT + JA}; a leaf's {@code JEQ} fails straight to the default return instead of
 * through a {@code JA};</li>
 * <li>a failed vsyscall check continues with the next rule set or the default action (gVisor's
 * §7.9 quirk falls into unrelated code);</li>
 * <li>half-word tests the matcher makes redundant are dropped ({@code Ge(0)} is nothing,
 * {@code Gt}/{@code Ge}/{@code Lt}/{@code Le} with a zero high word skip the {@code JGE}/
 * {@code JGT} on it, values like {@code 0x1_0000_0000} need only the high word, masked
 * comparisons with one-bit or zero values use {@code JSET} without {@code AND}, impossible
 * matchers make their rule vanish);</li>
 * <li>tests whose outcome is implied by earlier tests on the same path are skipped (jump
 * threading: after {@code arg0 == 0x409} failed on its low half, {@code arg0 == 0x12f00} is not
 * tested again on that path), identical subtrees are shared, and a word is not loaded again when
 * A already holds it;</li>
 * <li>rule sets whose action equals what would happen anyway disappear (for example a set whose
 * action is the default action when no later set lists the syscall); likewise the foreign-ABI
 * check when the bad-arch action is the default action (the ptrace stub's policy): the rules
 * of such a policy are never asked about a foreign-ABI number (they are left out of the
 * search), so it gets the default action either way;</li>
 * <li>identical returns are shared; a jump that would be out of reach gets a copy of the return
 * (no extra instruction) or a {@code JA} trampoline ({@link ProgramBuilder}).</li>
 * </ul>
 *
 * <p><b>Overlapping rule sets.</b> A syscall may appear in several rule sets. When an earlier set
 * matches all its arguments (and is not vsyscall), later sets are never reached for that
 * syscall; gVisor refuses to build such a policy ("unreachable action"), Tether builds it and
 * simply never tests the later sets, as {@link Policy#evaluate} would. When an earlier set's rules
 * do not match, the later sets are tested.
 *
 * <p>Programs longer than {@value Bpf#BPF_MAXINSNS} instructions are refused with a
 * {@link SeccompCompileException}, and so are policies with more than {@value #MAX_RULES} rules
 * in all (entries of {@code anyOf} lists, over all rule sets and syscalls). Compiling takes time
 * and memory roughly linear in the number of rules (about a second for 20,000 in one syscall);
 * the limit bounds it. Far fewer rules fill 4096 instructions unless most of them repeat or
 * contain one another.
 */
public final class SeccompCompiler {
    /** seccomp_data offsets (include/uapi/linux/seccomp.h, spec §7.1). */
    private static final int NR = SeccompData.OFFSET_NR;
    private static final int ARCH = SeccompData.OFFSET_ARCH;
    private static final int IP_LO = SeccompData.OFFSET_IP;
    private static final int IP_HI = SeccompData.OFFSET_IP + 4;
    /** The kernel's vsyscall page is in the top half of the address space: IP bit 63. */
    private static final int IP_HI_BIT63 = 0x80000000;
    /** Flush shared returns once a pending jump to them is this far back (< 255 leaves room for trampolines). */
    private static final int POOL_REACH = 200;
    /** The most rules ({@code anyOf} entries, over all rule sets and syscalls) a policy may have. */
    public static final int MAX_RULES = 65_536;

    private SeccompCompiler() {
    }

    /**
     * Options of the compilation.
     *
     * @param hotSyscalls syscall numbers tested one by one, in this order, before the binary
     *        search: cheaper for those, one more {@code JEQ} for every other syscall (so the
     *        guarantee "never more instructions than gVisor's generator" holds only with an empty
     *        list). Numbers the policy does not list are ignored.
     */
    public record Options(List<Integer> hotSyscalls) {
        /** No hot syscalls. */
        public static final Options DEFAULT = new Options(List.of());

        /** Copies the list. */
        public Options {
            hotSyscalls = List.copyOf(hotSyscalls);
        }

        /** Options with these hot syscalls. */
        public static Options hot(Integer... nrs) {
            return new Options(List.of(nrs));
        }
    }

    /** {@link #compile(Policy, SyscallTable, Options)} with {@link Options#DEFAULT}. */
    public static Program compile(Policy policy, SyscallTable table) {
        return compile(policy, table, Options.DEFAULT);
    }

    /**
     * Compiles {@code policy} for {@code table}'s architecture: its {@code AUDIT_ARCH_*} value
     * and, where it has one, its {@link SyscallTable#foreignAbi() foreign ABI}, whose syscalls get
     * the bad-arch action unless the policy leaves them to its rules.
     *
     * @throws SeccompCompileException if the program would exceed 4096 instructions
     */
    public static Program compile(Policy policy, SyscallTable table, Options options) {
        return new SeccompCompiler.Run(policy, table.auditArch(), policy.guardedAbi(table), options).compile();
    }

    /** One compilation. */
    private static final class Run {
        final Policy policy;
        final int auditArch;
        /** The foreign ABI whose numbers get the bad-arch action, if any. */
        final Optional<ForeignAbi> guarded;
        final Options options;
        final Map<Integer, Ret> rets = new HashMap<>();
        final int[] counter = {0};
        final Dag.Factory dispatch;
        final Ret defaultRet;
        /** Syscall -> entry of its rule-set chain (a Ret when nothing needs testing). */
        final Map<Integer, Node> chains = new TreeMap<>();
        final List<Test> order = new ArrayList<>();
        final Set<Node> placed = Collections.newSetFromMap(new IdentityHashMap<>());

        Run(Policy policy, int auditArch, Optional<ForeignAbi> guarded, Options options) {
            this.policy = policy;
            this.auditArch = auditArch;
            this.guarded = guarded;
            this.options = options;
            this.dispatch = new Dag.Factory(rets, counter);
            this.defaultRet = dispatch.ret(policy.defaultAction().value());
        }

        Program compile() {
            Set<Integer> nrs = new TreeSet<>();
            long rules = 0;
            Map<Integer, Integer> rulesPerSyscall = new HashMap<>();
            for (RuleSet set : policy.ruleSets()) {
                for (SyscallRule s : set.syscalls()) {
                    if (guarded.isPresent() && guarded.get().owns(s.nr())) {
                        continue; // never reached: the guard gives it the bad-arch action
                    }
                    nrs.add(s.nr());
                    rules += s.anyOf().size();
                    rulesPerSyscall.merge(s.nr(), s.anyOf().size(), Integer::sum);
                }
            }
            if (rules > MAX_RULES) {
                Map.Entry<Integer, Integer> most = Collections.max(rulesPerSyscall.entrySet(), Map.Entry.comparingByValue());
                throw new SeccompCompileException("too many rules: " + rules + " (anyOf entries over all rule sets), the compiler"
                        + " takes at most " + MAX_RULES + "; syscall " + most.getKey() + " has " + most.getValue());
            }
            for (int nr : nrs) {
                Dag.Factory f = dispatch.fresh();
                chains.put(nr, Dag.optimize(chain(nr, f), f));
            }

            // Hot syscalls: linear tests before the tree, in the given order.
            List<Integer> hot = new ArrayList<>();
            for (int h : new LinkedHashSet<>(options.hotSyscalls())) {
                if (chains.containsKey(h) && chains.get(h) != defaultRet) {
                    hot.add(h);
                }
            }
            List<Integer> keys = new ArrayList<>(nrs);
            keys.removeAll(hot);
            BstNode tree = bst(keys, 0, keys.size());
            Node dispatchRoot = dispatchNode(tree);
            List<Node> hotTests = new ArrayList<>();
            for (int i = hot.size() - 1; i >= 0; i--) {
                int h = hot.get(i);
                dispatchRoot = dispatch.test(NR, -1, JumpCondition.JEQ, h, chains.get(h), dispatchRoot);
                hotTests.add(0, dispatchRoot);
            }
            Ret badArch = dispatch.ret(policy.badArchAction().value());
            List<Node> guardTests = new ArrayList<>();
            Node afterArch = dispatchRoot;
            if (guarded.isPresent() && !policy.badArchAction().equals(policy.defaultAction())) {
                // libseccomp's x86-64 prologue: nr >= bit ? (nr == -1 ? rules : bad arch) : rules.
                // Left out when the bad-arch action is the default action: the tree lists no
                // number of the foreign ABI (left out above), so they get the default anyway.
                Node minusOne = dispatch.test(NR, -1, JumpCondition.JEQ, -1, dispatchRoot, badArch);
                afterArch = dispatch.test(NR, -1, JumpCondition.JGE, guarded.get().syscallBit(), minusOne, dispatchRoot);
                guardTests.add(afterArch);
                guardTests.add(minusOne);
            }
            Node root = dispatch.test(ARCH, -1, JumpCondition.JEQ, auditArch, afterArch, badArch);

            // Layout: arch check, foreign-ABI guard, hot tests, their chains, then the tree in
            // pre-order with each node's chain right after its own tests (as gVisor places checkArgs).
            place(root);
            for (Node g : guardTests) {
                place(g);
            }
            for (Node h : hotTests) {
                place(h);
            }
            for (int h : hot) {
                placeChain(chains.get(h));
            }
            placeTree(tree);
            if (root instanceof Test && !Dag.tests(root).stream().allMatch(placed::contains)) {
                throw new IllegalStateException("internal error: unplaced nodes in the seccomp DAG");
            }
            if (order.size() > Bpf.BPF_MAXINSNS) {
                // every test lowers to at least its jump: not worth lowering
                throw tooLarge("more than " + order.size());
            }
            Program p = lower(root);
            if (p.size() > Bpf.BPF_MAXINSNS) {
                throw tooLarge(String.valueOf(p.size()));
            }
            try {
                SeccompValidator.check(p);
            } catch (BpfException e) {
                throw new IllegalStateException("internal error: the compiled seccomp program is invalid: " + e.getMessage(), e);
            }
            return p;
        }

        private SeccompCompileException tooLarge(String size) {
            Map<Integer, Integer> tests = new HashMap<>();
            for (Map.Entry<Integer, Node> e : chains.entrySet()) {
                tests.put(e.getKey(), Dag.tests(e.getValue()).size());
            }
            List<Integer> big = new ArrayList<>(tests.keySet());
            big.sort((a, b) -> Integer.compare(tests.get(b), tests.get(a)));
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < Math.min(3, big.size()); i++) {
                sb.append(i == 0 ? "" : ", ").append("syscall ").append(big.get(i)).append(" (")
                        .append(tests.get(big.get(i))).append(" tests)");
            }
            return new SeccompCompileException("seccomp program too large: " + size + " instructions, the kernel accepts at most "
                    + Bpf.BPF_MAXINSNS + " (BPF_MAXINSNS); " + policy.ruleSets().size() + " rule sets over " + chains.size()
                    + " syscalls; largest: " + sb);
        }

        // ---- policy -> DAG ----

        /**
         * The chain for {@code nr}: its rule sets in order, each falling through to the next (or
         * to the default action) when it does not match. Built back to front.
         */
        private Node chain(int nr, Dag.Factory f) {
            Node next = defaultRet;
            List<RuleSet> sets = policy.ruleSets();
            for (int i = sets.size() - 1; i >= 0; i--) {
                RuleSet set = sets.get(i);
                SyscallRule s = set.find(nr);
                if (s == null) {
                    continue;
                }
                Ret action = f.ret(set.action().value());
                Node body;
                if (s.matchAll()) {
                    body = action;
                } else {
                    body = next;
                    for (int j = s.anyOf().size() - 1; j >= 0; j--) {
                        body = rule(s.anyOf().get(j), action, body, f);
                    }
                }
                if (set.vsyscall()) {
                    body = f.test(IP_HI, -1, JumpCondition.JSET, IP_HI_BIT63, body, next);
                }
                next = body;
            }
            return next;
        }

        /** All matchers of {@code r} (args 0..5, then the IP, as gVisor orders them). */
        private Node rule(Rule r, Node success, Node failure, Dag.Factory f) {
            Node n = success;
            n = matcher(r.ip(), IP_LO, IP_HI, n, failure, f);
            for (int i = Rule.MAX_ARGS - 1; i >= 0; i--) {
                n = matcher(r.args().get(i), SeccompData.argLow(i), SeccompData.argHigh(i), n, failure, f);
            }
            return n;
        }

        /**
         * One 64-bit matcher as tests on its halves; {@code s} when it holds, {@code x} when not.
         * Mirrors gVisor's instruction sequences (spec §7.4) minus what is redundant.
         */
        private static Node matcher(Matcher m, int lo, int hi, Node s, Node x, Dag.Factory f) {
            if (m instanceof Matcher.Any) {
                return s;
            }
            if (m instanceof Matcher.MaskedEq me) {
                if ((me.value() & ~me.mask()) != 0) {
                    return x; // can never hold
                }
                Node hiPart = maskedWord(hi, (int) (me.mask() >>> 32), (int) (me.value() >>> 32), s, x, f);
                return maskedWord(lo, (int) me.mask(), (int) me.value(), hiPart, x, f);
            }
            long v = value(m);
            int vhi = (int) (v >>> 32);
            int vlo = (int) v;
            JumpCondition eq = JumpCondition.JEQ;
            JumpCondition gt = JumpCondition.JGT;
            JumpCondition ge = JumpCondition.JGE;
            if (m instanceof Matcher.Eq) {
                return f.test(lo, -1, eq, vlo, f.test(hi, -1, eq, vhi, s, x), x);
            }
            if (m instanceof Matcher.Ne) {
                return f.test(lo, -1, eq, vlo, f.test(hi, -1, eq, vhi, x, s), s);
            }
            if (m instanceof Matcher.Gt) {
                if (vlo == -1) {
                    return f.test(hi, -1, gt, vhi, s, x); // > 0x..._ffffffff needs a larger high word
                }
                return f.test(hi, -1, ge, vhi, f.test(hi, -1, eq, vhi, f.test(lo, -1, gt, vlo, s, x), s), x);
            }
            if (m instanceof Matcher.Ge) {
                return f.test(hi, -1, ge, vhi, f.test(hi, -1, eq, vhi, f.test(lo, -1, ge, vlo, s, x), s), x);
            }
            if (m instanceof Matcher.Lt) {
                if (vlo == 0) {
                    return f.test(hi, -1, ge, vhi, x, s); // < 0x..._00000000 needs a smaller high word
                }
                return f.test(hi, -1, gt, vhi, x, f.test(hi, -1, eq, vhi, f.test(lo, -1, ge, vlo, x, s), s));
            }
            // Le
            return f.test(hi, -1, gt, vhi, x, f.test(hi, -1, eq, vhi, f.test(lo, -1, gt, vlo, x, s), s));
        }

        private static long value(Matcher m) {
            if (m instanceof Matcher.Eq e) {
                return e.value();
            }
            if (m instanceof Matcher.Ne e) {
                return e.value();
            }
            if (m instanceof Matcher.Gt e) {
                return e.value();
            }
            if (m instanceof Matcher.Ge e) {
                return e.value();
            }
            if (m instanceof Matcher.Lt e) {
                return e.value();
            }
            if (m instanceof Matcher.Le e) {
                return e.value();
            }
            throw new IllegalArgumentException("unknown matcher " + m);
        }

        /** {@code (word & mask) == value} on one half. */
        private static Node maskedWord(int word, int mask, int value, Node s, Node x, Dag.Factory f) {
            if (mask == 0) {
                return s;
            }
            if (value == 0) {
                return f.test(word, -1, JumpCondition.JSET, mask, x, s);
            }
            if (value == mask && Integer.bitCount(mask) == 1) {
                return f.test(word, -1, JumpCondition.JSET, mask, s, x);
            }
            return f.test(word, mask, JumpCondition.JEQ, value, s, x);
        }

        // ---- dispatch ----

        private record BstNode(int value, BstNode left, BstNode right, Node[] tests) {
        }

        /** gVisor's createBST: the middle element, then both halves (spec §7.3). */
        private BstNode bst(List<Integer> keys, int from, int to) {
            if (from >= to) {
                return null;
            }
            int mid = from + (to - from) / 2;
            return new BstNode(keys.get(mid), bst(keys, from, mid), bst(keys, mid + 1, to), new Node[2]);
        }

        /**
         * The dispatch node for a tree node, with gVisor's shape: {@code JEQ S} to the chain,
         * else {@code JGT S} to the right or left subtree (a missing child is the default
         * action), a leaf's {@code JEQ} failing straight to the default. Keeping the shape keeps
         * every path at most as long as gVisor's; only nodes that fold away entirely (a leaf
         * whose chain is the default action) disappear.
         */
        private Node dispatchNode(BstNode n) {
            if (n == null) {
                return defaultRet;
            }
            Node left = dispatchNode(n.left());
            Node right = dispatchNode(n.right());
            Node split = n.left() == null && n.right() == null ? defaultRet
                    : dispatch.test(NR, -1, JumpCondition.JGT, n.value(), right, left);
            n.tests()[1] = ownTest(split, JumpCondition.JGT, n.value());
            Node jeq = dispatch.test(NR, -1, JumpCondition.JEQ, n.value(), chains.get(n.value()), split);
            n.tests()[0] = ownTest(jeq, JumpCondition.JEQ, n.value());
            return jeq;
        }

        /** {@code n} if it is the dispatch test {@code nr op value} (and not a folded successor). */
        private static Node ownTest(Node n, JumpCondition op, int value) {
            return n instanceof Test t && t.word == NR && t.op == op && t.k == value ? n : null;
        }

        private void place(Node n) {
            if (n instanceof Test t && placed.add(t)) {
                order.add(t);
            }
        }

        private void placeChain(Node entry) {
            for (Test t : Dag.tests(entry)) {
                place(t);
            }
        }

        private void placeTree(BstNode n) {
            if (n == null) {
                return;
            }
            place(n.tests()[0]);
            place(n.tests()[1]);
            placeChain(chains.get(n.value()));
            placeTree(n.left());
            placeTree(n.right());
        }

        // ---- lowering ----

        private Program lower(Node root) {
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
