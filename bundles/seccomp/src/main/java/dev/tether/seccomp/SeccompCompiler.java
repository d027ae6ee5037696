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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Compiles a {@link Policy} into a seccomp BPF program that implements exactly the verdict
 * contract of the package documentation ({@link Policy#evaluate} is the reference).
 *
 * <p><b>Structure</b>: check {@code arch} (else the bad-arch action), load {@code nr}; on an
 * architecture with a {@link ForeignAbi} (x32 on amd64) whose syscalls the policy leaves to the
 * bad-arch action, {@code nr >= syscallBit && nr != -1} gives the bad-arch action (libseccomp's
 * {@code _gen_bpf_arch} in src/gen_bpf.c, two instructions right after the arch check, one on
 * the path of every other syscall); then dispatch on {@code nr} ({@link Dispatch}): by default a
 * range tree over intervals of consecutive numbers that end alike ({@link DispatchTree}), or
 * gVisor's binary search over the listed numbers ({@link BinarySearchDispatch}); then test the
 * rule sets listing that syscall in order ({@link RuleChains}); 64-bit comparisons are made of
 * two 32-bit halves; a vsyscall rule set first tests bit 31 of the instruction pointer's high
 * word. The DAG of tests ({@link Dag}) is lowered to BPF by {@link BpfLowering}.
 *
 * <p><b>Differences from gVisor's 2021 generator</b> (pkg/seccomp/seccomp.go,
 * {@code BuildProgram}), which has no foreign-ABI check: that check adds one instruction to the
 * path of every native syscall (a foreign-ABI number returns two instructions after it).
 * With {@link Dispatch#BINARY_SEARCH} everything else only removes instructions from paths, so
 * that on every input a program without the check (a policy with
 * {@link ForeignAbiSyscalls#RULE_SETS}, or an arch without a foreign ABI) executes at most as
 * many instructions as gVisor's does on the same rules (tested). The default range tree executes
 * fewer in total (tested) but not on every input: gVisor's root syscall is one {@code JEQ} away,
 * the range tree's leaves are all a few levels deep.
 * <ul>
 * <li>a tree node costs {@code JEQ + JGT} (conditional jumps straight to their targets) instead of
 * {@code JEQ + JGT + JA}; a leaf's {@code JEQ} fails straight to the default return instead of
 * through a {@code JA};</li>
 * <li>a failed vsyscall check continues with the next rule set or the default action (gVisor's
 * generator falls into unrelated code there);</li>
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
    /** seccomp_data offsets (include/uapi/linux/seccomp.h). */
    private static final int NR = SeccompData.OFFSET_NR;
    private static final int ARCH = SeccompData.OFFSET_ARCH;
    /** The most rules ({@code anyOf} entries, over all rule sets and syscalls) a policy may have. */
    public static final int MAX_RULES = 65_536;

    private SeccompCompiler() {
    }

    /** How the syscall number is dispatched to its rules. */
    public enum Dispatch {
        /**
         * A range tree over intervals of consecutive numbers that end alike, one {@code JGE} per
         * level, shaped for the least expected depth over the arch's syscall table
         * ({@link DispatchTree}). The default: on container profiles it executes about 0.6-0.7x
         * the instructions of libseccomp's binary tree (README, "Program size and speed vs
         * libseccomp"). A number can take more instructions than under {@link #BINARY_SEARCH}.
         */
        RANGE_TREE,
        /**
         * gVisor's binary search over the listed numbers (its 2021 generator's tree shape, with
         * {@code JEQ + JGT} per node): on every input at most as many instructions as gVisor's
         * generator executes on the same rules (without a foreign-ABI check and hot syscalls).
         */
        BINARY_SEARCH
    }

    /**
     * Options of the compilation.
     *
     * @param hotSyscalls syscall numbers tested one by one, in this order, before the dispatch:
     *        cheaper for those, one more {@code JEQ} for every other syscall. Numbers the policy
     *        does not list are ignored.
     * @param dispatch how the other numbers are dispatched
     */
    public record Options(List<Integer> hotSyscalls, Dispatch dispatch) {
        /** No hot syscalls, range-tree dispatch. */
        public static final Options DEFAULT = new Options(List.of());

        /** Copies the list; checks the dispatch. */
        public Options {
            hotSyscalls = List.copyOf(hotSyscalls);
            Objects.requireNonNull(dispatch, "dispatch");
        }

        /** Options with these hot syscalls and range-tree dispatch. */
        public Options(List<Integer> hotSyscalls) {
            this(hotSyscalls, Dispatch.RANGE_TREE);
        }

        /** Options with these hot syscalls. */
        public static Options hot(Integer... nrs) {
            return new Options(List.of(nrs));
        }

        /** These options with another dispatch. */
        public Options with(Dispatch d) {
            return new Options(hotSyscalls, d);
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
        return new SeccompCompiler.Run(policy, table, policy.guardedAbi(table), options).compile();
    }

    /** One compilation. */
    private static final class Run {
        final Policy policy;
        final int auditArch;
        final SyscallTable table;
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

        Run(Policy policy, SyscallTable table, Optional<ForeignAbi> guarded, Options options) {
            this.policy = policy;
            this.table = table;
            this.auditArch = table.auditArch();
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
                chains.put(nr, Dag.optimize(RuleChains.chain(policy, nr, defaultRet, f, table.argumentBits() == 32), f));
            }

            // Hot syscalls: linear tests before the tree, in the given order.
            List<Integer> hot = new ArrayList<>();
            for (int h : new LinkedHashSet<>(options.hotSyscalls())) {
                if (chains.containsKey(h) && chains.get(h) != defaultRet) {
                    hot.add(h);
                }
            }
            boolean guard = guarded.isPresent() && !policy.badArchAction().equals(policy.defaultAction());
            BinarySearchDispatch bst = null;
            List<Node> treeLayout = new ArrayList<>();
            Node dispatchRoot;
            if (options.dispatch() == Dispatch.BINARY_SEARCH) {
                List<Integer> keys = new ArrayList<>(nrs);
                keys.removeAll(hot);
                bst = new BinarySearchDispatch(chains, dispatch, defaultRet);
                dispatchRoot = bst.build(keys);
            } else {
                // Behind the guard only numbers below the foreign ABI's bit reach the tree.
                long top = guard ? guarded.get().syscallBit() - 1L : 0xffff_ffffL;
                Map<Integer, Node> dispatched = new TreeMap<>(chains);
                hot.forEach(dispatched::remove); // never reach the tree
                List<DispatchTree.Interval> intervals = DispatchTree.intervals(dispatched, defaultRet, top, table.all().values());
                dispatchRoot = DispatchTree.lower(DispatchTree.shape(intervals), intervals, dispatch, treeLayout);
            }
            List<Node> hotTests = new ArrayList<>();
            for (int i = hot.size() - 1; i >= 0; i--) {
                int h = hot.get(i);
                dispatchRoot = dispatch.test(NR, -1, JumpCondition.JEQ, h, chains.get(h), dispatchRoot);
                hotTests.add(0, dispatchRoot);
            }
            Ret badArch = dispatch.ret(policy.badArchAction().value());
            List<Node> guardTests = new ArrayList<>();
            Node afterArch = dispatchRoot;
            if (guard) {
                // libseccomp's x86-64 prologue: nr >= bit ? (nr == -1 ? rules : bad arch) : rules.
                // Left out when the bad-arch action is the default action: the tree lists no
                // number of the foreign ABI (left out above), so they get the default anyway.
                // No rule lists -1 (SyscallRule numbers are >= 0): "rules" means the default.
                Node minusOne = dispatch.test(NR, -1, JumpCondition.JEQ, -1, defaultRet, badArch);
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
            if (bst != null) {
                bst.layout(this::place, this::placeChain);
            } else {
                // tree tests and rule chains interleaved (null: a test folded away); a chain
                // entry lays out its whole chain
                for (Node n : treeLayout) {
                    if (n != null && chains.containsValue(n)) {
                        placeChain(n);
                    } else if (n != null) {
                        place(n);
                    }
                }
                chains.values().forEach(this::placeChain); // hot syscalls' and any not reached above
            }
            if (root instanceof Test && !Dag.tests(root).stream().allMatch(placed::contains)) {
                throw new IllegalStateException("internal error: unplaced nodes in the seccomp DAG");
            }
            if (order.size() > Bpf.BPF_MAXINSNS) {
                // every test lowers to at least its jump: not worth lowering
                throw tooLarge("more than " + order.size());
            }
            Program p = BpfLowering.lower(root, order);
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
    }
}
