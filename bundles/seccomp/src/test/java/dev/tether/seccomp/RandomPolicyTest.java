package dev.tether.seccomp;

import static org.junit.jupiter.api.Assertions.*;

import dev.tether.bpf.Interpreter;
import dev.tether.bpf.Program;
import java.nio.ByteOrder;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Seeded random rule sets: the compiled program against {@link Policy#evaluate} (the contract),
 * and against the test-only re-implementation of gVisor's 2021 generator (instruction counts).
 * The contract is checked on amd64 (with its x32 foreign ABI, both ways of treating it, and x32
 * numbers among the inputs and the rules) and on arm64. gVisor's generator has no foreign-ABI
 * check, so it is compared with programs of policies that leave x32 to the rules: input by input
 * with {@link SeccompCompiler.Dispatch#BINARY_SEARCH} (its tree shape), in total with the default
 * range tree (whose shallow leaves are not where gVisor's are, so single inputs may cost more).
 * Failures print the seed; rerun with -Dtether.seed=N.
 */
class RandomPolicyTest {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** gVisor's tree shape: the dispatch whose every path is at most gVisor's. */
    private static final SeccompCompiler.Options BINARY_SEARCH = SeccompCompiler.Options.DEFAULT.with(SeccompCompiler.Dispatch.BINARY_SEARCH);

    static SyscallTable tableOf(int auditArch) {
        return auditArch == Fixtures.AUDIT_ARCH_X86_64 ? Fixtures.AMD64 : Fixtures.ARM64;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"amd64", "arm64"})
    void compiledProgramsImplementTheContract(String archName) {
        SyscallTable table = archName.equals("amd64") ? Fixtures.AMD64 : Fixtures.ARM64;
        int arch = table.auditArch();
        long seed = RandomPolicies.seed(0x5ecc0b1L) ^ arch;
        Random r = new Random(seed);
        int inputs = 0;
        Map<String, Integer> reasons = new TreeMap<>();
        for (int round = 0; round < 400; round++) {
            Policy p = RandomPolicies.policy(r, round < 300 ? 4 : 8, round < 300 ? 8 : 30);
            SeccompCompiler.Options options = round % 5 == 4
                    ? SeccompCompiler.Options.hot(RandomPolicies.NRS[r.nextInt(RandomPolicies.NRS.length)], r.nextInt(400), 9,
                            RandomPolicies.X32_NRS[r.nextInt(RandomPolicies.X32_NRS.length)])
                    : SeccompCompiler.Options.DEFAULT;
            Program prog = SeccompCompiler.compile(p, table, options);
            for (SeccompData d : RandomPolicies.allInputs(p, arch, r)) {
                Verdict v = p.decide(d, table);
                Interpreter.Result got = Interpreter.run(prog, d.toBytes(LE), LE);
                int round0 = round;
                assertEquals(v.action().value(), got.value(), () -> "seed=" + seed + " round=" + round0 + " input " + d + "\npolicy "
                        + p + "\nprogram:\n" + SeccompDisassembler.disassemble(prog));
                reasons.merge(v.reason() + (Fixtures.X32.owns(d.nr()) ? " (x32 nr)" : ""), 1, Integer::sum);
                inputs++;
            }
        }
        assertTrue(inputs > 10_000, "ran " + inputs + " inputs");
        System.out.printf(Locale.ROOT, "random policies on %s: %d inputs, verdicts by %s (seed %d)%n", archName, inputs, reasons, seed);
        if (table.foreignAbi().isPresent()) {
            // both treatments of x32 numbers were exercised
            assertTrue(reasons.getOrDefault("FOREIGN_ABI (x32 nr)", 0) > 500, reasons::toString);
            assertTrue(reasons.getOrDefault("RULE_SET (x32 nr)", 0) > 100, reasons::toString);
        } else {
            assertFalse(reasons.containsKey("FOREIGN_ABI (x32 nr)"), reasons::toString);
            assertTrue(reasons.getOrDefault("RULE_SET (x32 nr)", 0) > 100, reasons::toString);
        }
    }

    @ParameterizedTest(name = "audit arch 0x{0}")
    @ValueSource(ints = {Fixtures.AUDIT_ARCH_X86_64, Fixtures.AUDIT_ARCH_AARCH64})
    void neverMoreInstructionsThanGvisor2021(int arch) {
        long seed = RandomPolicies.seed(0x9d15a2L) ^ arch;
        Random r = new Random(seed);
        long ours = 0;
        long theirs = 0;
        int compared = 0;
        long rangeTotal = 0;
        int skippedPolicies = 0;
        int quirkInputs = 0;
        long oursSize = 0;
        long theirsSize = 0;
        for (int round = 0; round < 400; round++) {
            Policy p = RandomPolicies.policy(r, round < 300 ? 4 : 8, round < 300 ? 8 : 30);
            Program g;
            try {
                g = GvisorGenerator2021.build(p, arch);
            } catch (GvisorGenerator2021.BuildError e) {
                skippedPolicies++; // "unreachable action" or a jump gVisor cannot encode
                continue;
            }
            // the per-input guarantee is binary search's; the range tree (the default) is compared in total
            Program o = SeccompCompiler.compile(p.withForeignAbiSyscalls(ForeignAbiSyscalls.RULE_SETS), tableOf(arch), BINARY_SEARCH);
            Program range = SeccompCompiler.compile(p.withForeignAbiSyscalls(ForeignAbiSyscalls.RULE_SETS), tableOf(arch));
            oursSize += o.size();
            theirsSize += g.size();
            for (SeccompData d : RandomPolicies.allInputs(p, arch, r)) {
                if (GvisorGenerator2021.hitsVsyscallQuirk(p, d, arch)) {
                    quirkInputs++;
                    continue;
                }
                byte[] b = d.toBytes(LE);
                Interpreter.Result rg = Interpreter.run(g, b, LE);
                Interpreter.Result ro = Interpreter.run(o, b, LE);
                Interpreter.Result rr = Interpreter.run(range, b, LE);
                int round0 = round;
                assertEquals(rg.value(), rr.value(), () -> "range tree: seed=" + seed + " round=" + round0 + " " + d);
                rangeTotal += rr.executed();
                assertEquals(p.withForeignAbiSyscalls(ForeignAbiSyscalls.RULE_SETS).evaluate(d, tableOf(arch)).value(), rg.value(),
                        () -> "baseline is faithful: seed=" + seed + " round=" + round0 + " " + d);
                assertEquals(rg.value(), ro.value(), () -> "seed=" + seed + " round=" + round0 + " " + d);
                assertTrue(ro.executed() <= rg.executed(), () -> "seed=" + seed + " round=" + round0 + " " + d + ": ours executed "
                        + ro.executed() + " > gVisor " + rg.executed() + "\npolicy " + p);
                ours += ro.executed();
                theirs += rg.executed();
                compared++;
            }
        }
        assertTrue(ours <= theirs);
        assertTrue(rangeTotal <= theirs, "range tree " + rangeTotal + " > gVisor " + theirs);
        assertTrue(compared > 10_000, "compared " + compared + " inputs");
        assertTrue(skippedPolicies < 200, "skipped " + skippedPolicies + " policies gVisor cannot build");
        System.out.printf(Locale.ROOT, "random policies, arch 0x%x: %d inputs, executed ours %d vs gVisor-2021 %d: ratio %.3f; "
                        + "program size ratio %.3f; range tree (default) %d: ratio %.3f; %d policies gVisor rejects, %d quirk inputs"
                        + " skipped (seed %d)%n",
                arch, compared, ours, theirs, (double) ours / theirs, (double) oursSize / theirsSize, rangeTotal,
                (double) rangeTotal / theirs, skippedPolicies, quirkInputs, seed);
        assertTrue((double) ours / theirs <= 0.9, "aim: at most 0.9 of gVisor's instructions, got " + (double) ours / theirs);
    }

    @ParameterizedTest(name = "audit arch 0x{0}")
    @ValueSource(ints = {Fixtures.AUDIT_ARCH_X86_64})
    void uniformSyscallNumbersAgainstGvisor(int arch) {
        // The cost profile of real traffic: mostly syscalls a policy does not list.
        long seed = RandomPolicies.seed(0xabcdefL);
        Random r = new Random(seed);
        long ours = 0;
        long theirs = 0;
        long rangeTotal = 0;
        for (int round = 0; round < 100; round++) {
            Policy p = RandomPolicies.policy(r, 3, 40);
            Program g;
            try {
                g = GvisorGenerator2021.build(p, arch);
            } catch (GvisorGenerator2021.BuildError e) {
                continue;
            }
            Program o = SeccompCompiler.compile(p.withForeignAbiSyscalls(ForeignAbiSyscalls.RULE_SETS), tableOf(arch), BINARY_SEARCH);
            Program range = SeccompCompiler.compile(p.withForeignAbiSyscalls(ForeignAbiSyscalls.RULE_SETS), tableOf(arch));
            for (int nr = 0; nr < 512; nr++) {
                SeccompData d = SeccompData.of(nr, arch, 0);
                if (GvisorGenerator2021.hitsVsyscallQuirk(p, d, arch)) {
                    continue;
                }
                byte[] b = d.toBytes(LE);
                Interpreter.Result rg = Interpreter.run(g, b, LE);
                Interpreter.Result ro = Interpreter.run(o, b, LE);
                assertEquals(rg.value(), ro.value());
                assertTrue(ro.executed() <= rg.executed());
                Interpreter.Result rr = Interpreter.run(range, b, LE);
                assertEquals(rg.value(), rr.value());
                rangeTotal += rr.executed();
                ours += ro.executed();
                theirs += rg.executed();
            }
        }
        System.out.printf(Locale.ROOT, "syscalls 0..511, zero arguments: ours %d vs gVisor-2021 %d: ratio %.3f; range tree (default)"
                + " %d: ratio %.3f (seed %d)%n", ours, theirs, (double) ours / theirs, rangeTotal, (double) rangeTotal / theirs, seed);
        assertTrue((double) ours / theirs <= 0.9);
        assertTrue((double) rangeTotal / theirs <= 0.9);
    }

}
