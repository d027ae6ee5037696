package dev.tether.seccomp;

import static org.junit.jupiter.api.Assertions.*;

import dev.tether.bpf.Interpreter;
import dev.tether.bpf.Program;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The ptrace stub's filter: gVisor's program (97 instructions, the resource
 * gvisor-stub-program-amd64.txt) as the baseline,
 * reproduced by the test-only gVisor-2021 generator from {@link StubPolicy}, and compared with
 * {@link SeccompCompiler}'s program for the same policy.
 */
class StubProgramTest {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** gVisor's tree shape: the dispatch whose every path is at most gVisor's. */
    private static final SeccompCompiler.Options BINARY_SEARCH = SeccompCompiler.Options.DEFAULT.with(SeccompCompiler.Dispatch.BINARY_SEARCH);
    private static final int X86_64 = Fixtures.AUDIT_ARCH_X86_64;
    private static final SyscallTable TABLE = Fixtures.AMD64;

    static Program specProgram() throws IOException {
        List<int[]> insns = new ArrayList<>();
        try (InputStream in = StubProgramTest.class.getResourceAsStream("gvisor-stub-program-amd64.txt");
                BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.trim().split("\\s+");
                assertEquals(insns.size(), Integer.parseInt(f[0]), "resource lines are numbered in order");
                insns.add(new int[] {Integer.decode(f[1]), Integer.parseInt(f[2]), Integer.parseInt(f[3]),
                        (int) Long.parseLong(f[4].substring(2), 16)});
            }
        }
        return Program.fromArrays(insns);
    }

    /** gVisor's rule set exactly ({@link StubPolicy#seed}), the one its program was built from. */
    static Policy stubPolicy(Action dflt) {
        return StubPolicy.seed(Fixtures.AMD64, Fixtures.AMD64_RULES, dflt, StubPolicy.SEED_PROCESS_CLONE_FLAGS);
    }

    /** What Tether installs ({@link StubPolicy#build}): the seed with kill's target narrowed. */
    static Policy tetherPolicy(Action dflt) {
        return StubPolicy.build(Fixtures.AMD64, Fixtures.AMD64_RULES, dflt, StubPolicy.SEED_PROCESS_CLONE_FLAGS);
    }

    @Test
    void gvisorReimplementationReproducesTheSpecProgramExactly() throws IOException {
        Program spec = specProgram();
        assertEquals(97, spec.size());
        Program built = GvisorGenerator2021.build(stubPolicy(Action.KILL_THREAD), X86_64);
        assertEquals(SeccompDisassembler.disassemble(spec), SeccompDisassembler.disassemble(built));
        assertEquals(spec, built);
    }

    @Test
    void legacyKernelProgramHas22Instructions() {
        // gVisor's program with default = bad arch = ALLOW: arch check, nr, BST over {96, 201, 309} with IP checks.
        Program built = GvisorGenerator2021.build(stubPolicy(Action.ALLOW), X86_64);
        assertEquals(22, built.size());
        assertEquals(0x7fff0000, built.get(2).k());
        assertEquals(0xc9, built.get(4).k(), "root is 201");
    }

    @Test
    void stubPolicyHasTheSeedsRuleSets() {
        Policy p = stubPolicy(Action.KILL_THREAD);
        assertEquals(Action.KILL_THREAD, p.badArchAction());
        assertEquals(3, p.ruleSets().size());
        RuleSet allow = p.ruleSets().get(0);
        assertEquals(List.of(56, 61, 60, 157, 110, 39, 62, 9, 11), allow.syscalls().stream().map(SyscallRule::nr).toList());
        assertEquals(List.of(Rule.of(Matcher.eq(0x409)), Rule.of(Matcher.eq(0x12f00))), allow.find(56).anyOf());
        assertEquals(List.of(Rule.of(Matcher.eq(1), Matcher.eq(9))), allow.find(157).anyOf());
        assertEquals(List.of(Rule.of(Matcher.any(), Matcher.eq(19))), allow.find(62).anyOf());
        assertTrue(p.ruleSets().get(1).vsyscall());
        // Legacy mode: only the arch rules, as gVisor.
        Policy legacy = stubPolicy(Action.ALLOW);
        assertEquals(1, legacy.ruleSets().size());
        assertEquals(Action.TRAP, legacy.ruleSets().get(0).action());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StubPolicy.build(Fixtures.ARM64, Fixtures.AMD64_RULES, Action.KILL_THREAD, 0x409));
        assertTrue(e.getMessage().contains("arm64") && e.getMessage().contains("amd64"), e.getMessage());
        // Contained mode: a different exit signal only changes rule A.
        Policy contained = StubPolicy.seed(Fixtures.AMD64, Fixtures.AMD64_RULES, Action.KILL_THREAD, 0x400 | 17);
        assertEquals(Rule.of(Matcher.eq(0x411)), contained.ruleSets().get(0).find(56).anyOf().get(0));
    }

    @Test
    void tetherNarrowsOnlyKillsTargetToOneProcessOrTheCallersGroup() {
        Policy seed = stubPolicy(Action.KILL_THREAD);
        Policy tether = tetherPolicy(Action.KILL_THREAD);
        assertEquals(List.of(Rule.of(Matcher.le(0x7fffffff), Matcher.eq(19))), tether.ruleSets().get(0).find(62).anyOf());
        // Everything else is gVisor's: replace kill's rule and the policies are equal.
        List<RuleSet> sets = new ArrayList<>(tether.ruleSets());
        List<SyscallRule> allow = new ArrayList<>(sets.get(0).syscalls());
        allow.set(allow.indexOf(sets.get(0).find(62)), seed.ruleSets().get(0).find(62));
        sets.set(0, new RuleSet(sets.get(0).action(), sets.get(0).vsyscall(), allow));
        assertEquals(seed, new Policy(tether.defaultAction(), tether.badArchAction(), sets));
        // Legacy mode has no kill rule to narrow.
        assertEquals(stubPolicy(Action.ALLOW), tetherPolicy(Action.ALLOW));

        Program compiled = SeccompCompiler.compile(tether, TABLE);
        long[][] cases = {
            // {pid, allowed by Tether}
            {1234, 1}, {1, 1}, {0, 1}, {0x7fffffff, 1}, // one process; 0 = the caller's own group
            {-1, 0},                                     // every process the caller may signal
            {0xffffffffL, 0},                            // -1 as an int with the high half clear
            {-1234, 0}, {0x80000000L, 0},                // another process group
            {0x100000000L + 1234, 0},                    // a pid the kernel would get by truncation
        };
        for (long[] c : cases) {
            SeccompData d = SeccompData.of(62, X86_64, 0, c[0], 19);
            Action want = c[1] == 1 ? Action.ALLOW : Action.KILL_THREAD;
            assertEquals(want, tether.evaluate(d, TABLE), () -> "kill(0x" + Long.toHexString(c[0]) + ", SIGSTOP)");
            assertEquals(want.value(), Interpreter.run(compiled, d.toBytes(LE), LE).value(), () -> "compiled, " + d);
            assertEquals(Action.ALLOW, seed.evaluate(d, TABLE), () -> "gVisor's rule set allows every target: " + d);
        }
        // Any other signal stays forbidden, as in gVisor.
        assertEquals(Action.KILL_THREAD, tether.evaluate(SeccompData.of(62, X86_64, 0, 1234, 9), TABLE));
        // And the compiled program agrees with the policy on every input gVisor's tests use.
        for (SeccompData d : stubInputs()) {
            assertEquals(tether.evaluate(d, TABLE).value(), Interpreter.run(compiled, d.toBytes(LE), LE).value(), d::toString);
        }
    }

    /** Inputs: every syscall 0..1023 with zero arguments, plus the values the rules test and their neighbours. */
    static List<SeccompData> stubInputs() {
        Set<SeccompData> in = new LinkedHashSet<>();
        long[] arg0s = {0, 0x408, 0x409, 0x40a, 0x12eff, 0x12f00, 0x12f01, 0x100000409L, 0x100012f00L, 0xffffffff00000409L,
            1, 2, 0x1011, 0x1012, 0x1013, 0x100000001L, 0x100001012L};
        long[] arg1s = {0, 1, 8, 9, 10, 18, 19, 20, 0x100000009L, 0x100000013L, 0x100000000L, 0xffffffffffffffffL};
        long[] ips = {0, 0x400000, 0x7fffffffffffffffL, 0x8000000000000000L, 0xffffffffff600000L, 0x0000000100000000L};
        for (int nr = 0; nr < 1024; nr++) {
            in.add(SeccompData.of(nr, X86_64, 0));
        }
        for (int nr : new int[] {56, 61, 60, 157, 110, 39, 62, 9, 11, 96, 201, 309, 158}) {
            for (long a0 : arg0s) {
                for (long a1 : arg1s) {
                    in.add(SeccompData.of(nr, X86_64, 0, a0, a1));
                }
            }
            for (long ip : ips) {
                in.add(SeccompData.of(nr, X86_64, ip));
                in.add(SeccompData.of(nr, X86_64, ip, 1, 9));
            }
        }
        in.add(SeccompData.of(39, Fixtures.AUDIT_ARCH_I386, 0));
        in.add(SeccompData.of(39, Fixtures.AUDIT_ARCH_AARCH64, 0));
        // x32 twins of every listed syscall (with the arguments the rules allow), the edges of the
        // x32 range, negative numbers and -1
        for (int nr : new int[] {56, 61, 60, 157, 110, 39, 62, 9, 11, 96, 201, 309, 158}) {
            in.add(SeccompData.of(0x40000000 | nr, X86_64, 0));
            in.add(SeccompData.of(0x40000000 | nr, X86_64, 0xffffffffff600000L));
            in.add(SeccompData.of(0x40000000 | nr, X86_64, 0, 0x409, 9));
            in.add(SeccompData.of(0x40000000 | nr, X86_64, 0, 1, 9));
            in.add(SeccompData.of(0x40000000 | nr, X86_64, 0, 1234, 19));
        }
        for (int nr : new int[] {0x3fffffff, 0x40000000, 0x7fffffff, 0x80000000, 0x80000000 | 39, -2, -1}) {
            in.add(SeccompData.of(nr, X86_64, 0));
        }
        return new ArrayList<>(in);
    }

    @Test
    void compiledStubPolicyMatchesTheSpecProgramAndIsCheaper() throws IOException {
        Program spec = specProgram();
        Policy policy = stubPolicy(Action.KILL_THREAD);
        // input by input with gVisor's tree shape; the default range tree in total
        Program ours = SeccompCompiler.compile(policy, TABLE, BINARY_SEARCH);
        Program range = SeccompCompiler.compile(policy, TABLE);
        long rangeTotal = 0;
        long oursTotal = 0;
        long specTotal = 0;
        double worstRatio = 0;
        int inputs = 0;
        for (SeccompData d : stubInputs()) {
            byte[] bytes = d.toBytes(LE);
            Interpreter.Result g = Interpreter.run(spec, bytes, LE);
            Interpreter.Result o = Interpreter.run(ours, bytes, LE);
            assertEquals(policy.evaluate(d, TABLE).value(), o.value(), () -> "contract for " + d);
            assertEquals(g.value(), o.value(), () -> "same verdict as the spec program for " + d);
            assertTrue(o.executed() <= g.executed(), () -> "per input: " + o.executed() + " > " + g.executed() + " for " + d);
            Interpreter.Result r = Interpreter.run(range, bytes, LE);
            assertEquals(g.value(), r.value(), () -> "range tree: same verdict as the spec program for " + d);
            rangeTotal += r.executed();
            oursTotal += o.executed();
            specTotal += g.executed();
            worstRatio = Math.max(worstRatio, (double) o.executed() / g.executed());
            inputs++;
        }
        assertTrue(oursTotal <= specTotal);
        assertTrue(rangeTotal <= specTotal, "range tree " + rangeTotal + " > gVisor " + specTotal);
        System.out.printf(Locale.ROOT, "stub program: %d instructions (gVisor: %d); %d inputs executed %d vs %d instructions, "
                + "ratio %.3f; worst single input ratio %.3f; range tree (default): %d instructions, executed %d, ratio %.3f%n",
                ours.size(), spec.size(), inputs, oursTotal, specTotal, (double) oursTotal / specTotal, worstRatio, range.size(),
                rangeTotal, (double) rangeTotal / specTotal);
        assertTrue(ours.size() < spec.size());
    }

    /**
     * x32: the stub policy's bad-arch action is its default action, so its rules (which list no
     * x32 number) give every x32 syscall the default (kill) whether or not the program checks for
     * x32 first; the compiler leaves the check out, and the program is gVisor's size as before.
     */
    @Test
    void everyX32SyscallIsFatalForTheStub() {
        for (Action dflt : new Action[] {Action.KILL_THREAD, Action.KILL_PROCESS, Action.errno(1)}) {
            Policy policy = tetherPolicy(dflt);
            assertEquals(ForeignAbiSyscalls.BAD_ARCH_ACTION, policy.foreignAbiSyscalls());
            Program compiled = SeccompCompiler.compile(policy, TABLE);
            assertEquals(SeccompCompiler.compile(policy.withForeignAbiSyscalls(ForeignAbiSyscalls.RULE_SETS), TABLE), compiled,
                    "no x32 check when the bad-arch action is the default");
            for (SeccompData d : stubInputs()) {
                if (Fixtures.X32.owns(d.nr()) && d.arch() == X86_64) {
                    assertEquals(dflt.value(), Interpreter.run(compiled, d.toBytes(LE), LE).value(), d::toString);
                    Verdict v = policy.decide(d, TABLE);
                    assertEquals(Verdict.Reason.FOREIGN_ABI, v.reason(), d::toString);
                    assertEquals(dflt, v.action());
                }
            }
        }
        // Legacy kernels (ALLOW): x32 numbers are allowed as every number is, but the vsyscall
        // TRAP set is not asked about the x32 twins of its syscalls.
        Policy legacy = tetherPolicy(Action.ALLOW);
        SeccompData twin = SeccompData.of(0x40000000 | 96, X86_64, 0xffffffffff600000L);
        assertEquals(Action.RET_ALLOW, Interpreter.run(SeccompCompiler.compile(legacy, TABLE), twin.toBytes(LE), LE).value());
        assertEquals(Action.RET_TRAP, Interpreter.run(SeccompCompiler.compile(legacy, TABLE),
                SeccompData.of(96, X86_64, 0xffffffffff600000L).toBytes(LE), LE).value());
    }

    @Test
    void vsyscallQuirkIsNotReplicated() throws IOException {
        // The vsyscall quirk (GvisorGenerator2021): gettimeofday from a non-vsyscall IP whose high word is 157 (prctl) with
        // args (1, 9): gVisor's program falls into prctl's checks and allows it.
        SeccompData d = SeccompData.of(96, X86_64, 0x0000009d00001000L, 1, 9);
        assertTrue(GvisorGenerator2021.hitsVsyscallQuirk(stubPolicy(Action.KILL_THREAD), d, X86_64));
        assertEquals(Action.RET_ALLOW, Interpreter.run(specProgram(), d.toBytes(LE), LE).value());
        Policy policy = stubPolicy(Action.KILL_THREAD);
        assertEquals(Action.KILL_THREAD, policy.evaluate(d, TABLE));
        assertEquals(Action.RET_KILL_THREAD, Interpreter.run(SeccompCompiler.compile(policy, TABLE), d.toBytes(LE), LE).value());
        // From the vsyscall page it traps.
        SeccompData v = SeccompData.of(96, X86_64, 0xffffffffff600000L);
        assertEquals(Action.RET_TRAP, Interpreter.run(SeccompCompiler.compile(policy, TABLE), v.toBytes(LE), LE).value());
    }

    @Test
    void legacyStubPolicyToo() {
        Policy policy = stubPolicy(Action.ALLOW);
        Program g = GvisorGenerator2021.build(policy, X86_64);
        Program ours = SeccompCompiler.compile(policy, TABLE, BINARY_SEARCH);
        Program range = SeccompCompiler.compile(policy, TABLE);
        for (SeccompData d : stubInputs()) {
            byte[] b = d.toBytes(LE);
            Interpreter.Result o = Interpreter.run(ours, b, LE);
            assertEquals(policy.evaluate(d, TABLE).value(), o.value(), d::toString);
            assertEquals(o.value(), Interpreter.run(range, b, LE).value(), d::toString);
            if (!GvisorGenerator2021.hitsVsyscallQuirk(policy, d, X86_64)) {
                assertTrue(o.executed() <= Interpreter.run(g, b, LE).executed(), d::toString);
            }
        }
    }
}
