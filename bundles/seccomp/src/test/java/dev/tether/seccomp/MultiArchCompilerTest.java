package dev.tether.seccomp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.bpf.Interpreter;
import dev.tether.bpf.Program;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Multi-arch programs against {@link MultiArchPolicy#evaluate}, on the interpreter. */
class MultiArchCompilerTest {
    static final SyscallTable AMD64 = new Fixtures.Table("amd64", Fixtures.AUDIT_ARCH_X86_64, Fixtures.X32,
            "read", 0, "write", 1, "open", 2, "close", 3, "mmap", 9, "ioctl", 16, "ptrace", 101, "personality", 135, "clone", 56);

    static int run(Program p, SeccompData d) {
        return Interpreter.run(p, d.toBytes(ByteOrder.LITTLE_ENDIAN), ByteOrder.LITTLE_ENDIAN).value();
    }

    /** A policy over {@code table}'s numbers, random rules with 32-bit values on a 32-bit ABI. */
    static Policy policy(Random r, SyscallTable table, Action dflt) {
        List<Integer> nrs = new ArrayList<>(table.all().values());
        List<RuleSet> sets = new ArrayList<>();
        for (int i = 0, n = 1 + r.nextInt(3); i < n; i++) {
            List<SyscallRule> syscalls = new ArrayList<>();
            java.util.Set<Integer> seen = new java.util.HashSet<>();
            for (int j = 0, m = 1 + r.nextInt(12); j < m; j++) {
                int nr = nrs.get(r.nextInt(Math.min(nrs.size(), 40)));
                if (!seen.add(nr)) {
                    continue;
                }
                if (r.nextInt(3) == 0) {
                    syscalls.add(SyscallRule.any(nr));
                } else {
                    Rule rule = RandomPolicies.rule(r);
                    if (table.argumentBits() == 32) {
                        List<Matcher> cut = new ArrayList<>();
                        for (Matcher mm : rule.args()) {
                            cut.add(MultiArchPolicy.fits32(mm) ? mm : Matcher.any());
                        }
                        rule = new Rule(cut, Matcher.any());
                    }
                    syscalls.add(SyscallRule.anyOf(nr, rule));
                }
            }
            sets.add(new RuleSet(RandomPolicies.action(r), false, syscalls));
        }
        return new Policy(dflt, Action.KILL_PROCESS, sets);
    }

    static List<SeccompData> inputs(MultiArchPolicy mp, Random r) {
        List<SeccompData> out = new ArrayList<>();
        int[] arches = {Fixtures.AUDIT_ARCH_X86_64, CompatSyscallTables.AUDIT_ARCH_I386, CompatSyscallTables.AUDIT_ARCH_ARM,
            Fixtures.AUDIT_ARCH_AARCH64, 0x12345};
        for (MultiArchPolicy.Part p : mp.parts()) {
            for (RuleSet set : p.policy().ruleSets()) {
                for (SyscallRule s : set.syscalls()) {
                    for (SeccompData d : RandomPolicies.inputs(p.policy(), s.nr(), p.table().auditArch(), r)) {
                        out.add(d);
                        long[] a = d.argsArray();
                        for (int i = 0; i < a.length; i++) {
                            a[i] ^= (long) r.nextInt() << 32; // high bits a 32-bit ABI must ignore
                        }
                        out.add(new SeccompData(d.nr(), d.arch(), d.instructionPointer(), a));
                        for (int arch : arches) {
                            out.add(new SeccompData(d.nr(), arch, 0, a));
                            out.add(new SeccompData(d.nr() | 0x40000000, arch, 0, a));
                        }
                    }
                }
            }
        }
        for (int arch : arches) {
            for (int nr : new int[] {-1, 0, 1, 0x3fffffff, 0x40000000, 0x40000001, 0x40000000 | 512, 0x7fffffff, 0x80000000}) {
                out.add(SeccompData.of(nr, arch, 0));
            }
        }
        return out;
    }

    @Test
    void randomMultiArchPoliciesMatchTheReference() {
        long seed = RandomPolicies.seed(20260823L);
        Random r = new Random(seed);
        List<List<SyscallTable>> combos = List.of(
                List.of(AMD64, CompatSyscallTables.i386(), CompatSyscallTables.x32()),
                List.of(AMD64, CompatSyscallTables.i386()),
                List.of(AMD64, CompatSyscallTables.x32()),
                List.of(CompatSyscallTables.x32()),
                List.of(CompatSyscallTables.x32(), AMD64),
                List.of(CompatSyscallTables.arm()),
                List.of(CompatSyscallTables.i386(), CompatSyscallTables.arm(), AMD64));
        int checked = 0;
        for (int round = 0; round < 60; round++) {
            List<SyscallTable> tables = combos.get(round % combos.size());
            Action dflt = RandomPolicies.action(r);
            List<MultiArchPolicy.Part> parts = new ArrayList<>();
            for (SyscallTable t : tables) {
                parts.add(new MultiArchPolicy.Part(t, policy(r, t, dflt)));
            }
            MultiArchPolicy mp = new MultiArchPolicy(parts, RandomPolicies.action(r));
            Program p = MultiArchCompiler.compile(mp);
            for (SeccompData d : inputs(mp, r)) {
                assertEquals(mp.evaluate(d).value(), run(p, d), () -> "seed " + seed + ", " + tables.stream().map(SyscallTable::arch).toList()
                        + ", " + d + "\n" + p);
                checked++;
            }
        }
        assertTrue(checked > 10_000, "inputs checked: " + checked);
    }

    @Test
    void x32AloneOnAmd64IsTheBadArchActionAndListedItIsItsOwnRules() {
        Policy amd = new Policy(Action.ALLOW, Action.KILL_PROCESS, List.of(RuleSet.of(Action.errno(1), SyscallRule.any(101))));
        int x32Ptrace = CompatSyscallTables.x32().require("ptrace"); // 0x40000209 (521 | bit)
        Policy x32 = new Policy(Action.ALLOW, Action.KILL_PROCESS, List.of(RuleSet.of(Action.errno(1), SyscallRule.any(x32Ptrace))));
        Program alone = MultiArchCompiler.compile(new MultiArchPolicy(List.of(new MultiArchPolicy.Part(AMD64, amd)), Action.KILL_THREAD));
        assertEquals(Action.RET_KILL_THREAD, run(alone, SeccompData.of(x32Ptrace, Fixtures.AUDIT_ARCH_X86_64, 0)));
        assertEquals(Action.RET_ALLOW, run(alone, SeccompData.of(-1, Fixtures.AUDIT_ARCH_X86_64, 0)));
        Program both = MultiArchCompiler.compile(new MultiArchPolicy(List.of(new MultiArchPolicy.Part(AMD64, amd),
                new MultiArchPolicy.Part(CompatSyscallTables.x32(), x32)), Action.KILL_THREAD));
        assertEquals(Action.errno(1).value(), run(both, SeccompData.of(x32Ptrace, Fixtures.AUDIT_ARCH_X86_64, 0)));
        assertEquals(Action.errno(1).value(), run(both, SeccompData.of(101, Fixtures.AUDIT_ARCH_X86_64, 0)));
        assertEquals(Action.RET_ALLOW, run(both, SeccompData.of(0x40000000 | 101, Fixtures.AUDIT_ARCH_X86_64, 0)));
        assertEquals(Action.RET_KILL_THREAD, run(both, SeccompData.of(101, CompatSyscallTables.AUDIT_ARCH_I386, 0)));
    }

    @Test
    void thirtyTwoBitAbisCompareLowWordsOnly() {
        int open = CompatSyscallTables.i386().require("open");
        Policy p = new Policy(Action.ALLOW, Action.KILL_PROCESS, List.of(RuleSet.of(Action.errno(13),
                SyscallRule.anyOf(open, Rule.of(Matcher.any(), Matcher.maskedEq(3, 1))))));
        Program prog = MultiArchCompiler.compile(MultiArchPolicy.of(CompatSyscallTables.i386(), p));
        assertEquals(Action.errno(13).value(), run(prog, SeccompData.of(open, CompatSyscallTables.AUDIT_ARCH_I386, 0, 0, 0xdead_0000_0001L)));
        assertEquals(Action.RET_ALLOW, run(prog, SeccompData.of(open, CompatSyscallTables.AUDIT_ARCH_I386, 0, 0, 2)));
        Policy wide = new Policy(Action.ALLOW, Action.KILL_PROCESS, List.of(RuleSet.of(Action.errno(13),
                SyscallRule.anyOf(open, Rule.of(Matcher.eq(0x1_0000_0000L))))));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MultiArchPolicy.of(CompatSyscallTables.i386(), wide));
        assertTrue(e.getMessage().contains("x86 compares 32-bit arguments"), e.getMessage());
    }

    @Test
    void firstArchPathCostsWhatTheSingleArchProgramCosts() {
        Random r = new Random(7);
        Policy amd = policy(r, AMD64, Action.ALLOW);
        Program single = SeccompCompiler.compile(amd.withBadArch(Action.KILL_THREAD), AMD64);
        Program multi = MultiArchCompiler.compile(new MultiArchPolicy(List.of(new MultiArchPolicy.Part(AMD64, amd),
                new MultiArchPolicy.Part(CompatSyscallTables.i386(), policy(r, CompatSyscallTables.i386(), Action.ALLOW))),
                Action.KILL_THREAD));
        for (int nr = 0; nr < 140; nr++) {
            SeccompData d = SeccompData.of(nr, Fixtures.AUDIT_ARCH_X86_64, 0);
            byte[] in = d.toBytes(ByteOrder.LITTLE_ENDIAN);
            // the prologue's check replaces the program's own: the same instructions on the path
            assertEquals(Interpreter.run(single, in, ByteOrder.LITTLE_ENDIAN).executed(),
                    Interpreter.run(multi, in, ByteOrder.LITTLE_ENDIAN).executed(), "nr " + nr);
        }
    }

    @Test
    void sharedAuditArchOnlyForAmd64AndX32() {
        Policy p = new Policy(Action.ALLOW, null, List.of());
        assertThrows(IllegalArgumentException.class, () -> new MultiArchPolicy(List.of(new MultiArchPolicy.Part(AMD64, p),
                new MultiArchPolicy.Part(new Fixtures.Table("other", Fixtures.AUDIT_ARCH_X86_64, null, "read", 0), p)), Action.KILL_THREAD));
        assertThrows(IllegalArgumentException.class, () -> new MultiArchPolicy(List.of(new MultiArchPolicy.Part(AMD64, p),
                new MultiArchPolicy.Part(AMD64, p)), Action.KILL_THREAD));
    }
}
