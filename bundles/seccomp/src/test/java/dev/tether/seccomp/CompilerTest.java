package dev.tether.seccomp;

import static org.junit.jupiter.api.Assertions.*;

import dev.tether.bpf.Bpf;
import dev.tether.bpf.Interpreter;
import dev.tether.bpf.Program;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Specific behaviours of {@link SeccompCompiler}; the random tests cover the general contract. */
class CompilerTest {
    private static final int ARCH = Fixtures.AUDIT_ARCH_X86_64;
    private static final SyscallTable TABLE = Fixtures.AMD64;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    static Interpreter.Result run(Program p, SeccompData d) {
        return Interpreter.run(p, d.toBytes(LE), LE);
    }

    static boolean loads(Program p, int offset) {
        for (int i = 0; i < p.size(); i++) {
            if (p.get(i).code() == (Bpf.BPF_LD | Bpf.BPF_W | Bpf.BPF_ABS) && p.get(i).k() == offset) {
                return true;
            }
        }
        return false;
    }

    @Test
    void emptyPolicyChecksTheArchOnly() {
        // arm64 has no foreign ABI: nothing but the arch check
        int aarch64 = Fixtures.AUDIT_ARCH_AARCH64;
        Program p = SeccompCompiler.compile(new Policy(Action.errno(1), Action.KILL_PROCESS, List.of()), Fixtures.ARM64);
        assertEquals(4, p.size());
        assertEquals(new Interpreter.Result(Action.RET_ERRNO | 1, 3), run(p, SeccompData.of(1, aarch64, 0)));
        assertEquals(new Interpreter.Result(Action.RET_KILL_PROCESS, 3), run(p, SeccompData.of(1, Fixtures.AUDIT_ARCH_I386, 0)));
        assertEquals(new Interpreter.Result(Action.RET_ERRNO | 1, 3), run(p, SeccompData.of(0x40000027, aarch64, 0)));
        // amd64 adds the x32 check: LD nr, JGE 0x40000000, JEQ -1
        Program x = SeccompCompiler.compile(new Policy(Action.errno(1), Action.KILL_PROCESS, List.of()), TABLE);
        assertEquals(7, x.size());
        assertEquals(new Interpreter.Result(Action.RET_ERRNO | 1, 5), run(x, SeccompData.of(1, ARCH, 0)));
        assertEquals(new Interpreter.Result(Action.RET_KILL_PROCESS, 6), run(x, SeccompData.of(0x40000027, ARCH, 0)));
        // When every answer is the same, the program is one RET.
        Program one = SeccompCompiler.compile(new Policy(Action.ALLOW, Action.ALLOW,
                List.of(RuleSet.of(Action.ALLOW, SyscallRule.any(3)))), TABLE);
        assertEquals(Program.fromArrays(new int[] {0x06, 0, 0, Action.RET_ALLOW}), one);
    }

    @Test
    void ruleSetsForTheSameSyscallAreTriedInOrder() {
        Policy p = new Policy(Action.KILL_PROCESS, null, List.of(
                RuleSet.of(Action.ALLOW, SyscallRule.anyOf(5, Rule.of(Matcher.eq(1)))),
                RuleSet.of(Action.errno(13), SyscallRule.anyOf(5, Rule.of(Matcher.lt(100)))),
                RuleSet.of(Action.TRAP, SyscallRule.any(5)),
                RuleSet.of(Action.LOG, SyscallRule.any(5))));  // never reached: the TRAP set matches all
        Program prog = SeccompCompiler.compile(p, TABLE);
        assertEquals(Action.RET_ALLOW, run(prog, SeccompData.of(5, ARCH, 0, 1)).value());
        assertEquals(Action.RET_ERRNO | 13, run(prog, SeccompData.of(5, ARCH, 0, 2)).value());
        assertEquals(Action.RET_TRAP, run(prog, SeccompData.of(5, ARCH, 0, 100)).value());
        for (int i = 0; i < prog.size(); i++) {
            assertNotEquals(Action.RET_LOG, prog.get(i).k(), "the unreachable LOG set is not compiled");
        }
        // gVisor refuses this policy; Tether does not.
        assertThrows(GvisorGenerator2021.BuildError.class, () -> GvisorGenerator2021.build(p, ARCH));
    }

    /**
     * x86-64's x32 ABI (numbers from __X32_SYSCALL_BIT = 0x40000000 up): libseccomp's check right
     * after the arch check, {@code nr >= 0x40000000 && nr != -1 -> bad arch} (src/gen_bpf.c,
     * _gen_bpf_arch), unless the policy leaves x32 to its rules.
     */
    @Test
    void x32SyscallsGetTheBadArchActionRightAfterTheArchCheck() {
        int ptrace = 101;
        int x32Ptrace = 0x40000000 | 521; // __NR_ptrace in asm/unistd_x32.h; 1073742345
        Policy p = new Policy(Action.ALLOW, Action.KILL_PROCESS, List.of(RuleSet.of(Action.errno(1), SyscallRule.any(ptrace))));
        Program prog = SeccompCompiler.compile(p, TABLE);
        List<String> head = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            head.add(String.format("%04x %08x", prog.get(i).code(), prog.get(i).k()));
        }
        assertEquals(List.of(
                "0020 00000004",   // ld [4]: arch
                "0015 c000003e",   // jeq AUDIT_ARCH_X86_64
                "0020 00000000",   // ld [0]: nr
                "0035 40000000",   // jge __X32_SYSCALL_BIT
                "0015 ffffffff"),  // jeq -1: a skipped syscall goes to the rules
                head, () -> SeccompDisassembler.disassemble(prog));
        int[][] cases = {
            {ptrace, Action.RET_ERRNO | 1}, {x32Ptrace, Action.RET_KILL_PROCESS}, {0x40000000 | 39, Action.RET_KILL_PROCESS},
            {0x3fffffff, Action.RET_ALLOW}, {0x40000000, Action.RET_KILL_PROCESS}, {0x7fffffff, Action.RET_KILL_PROCESS},
            {0x80000000, Action.RET_KILL_PROCESS}, {0x80000000 | ptrace, Action.RET_KILL_PROCESS}, {-2, Action.RET_KILL_PROCESS},
            {-1, Action.RET_ALLOW},
        };
        for (int[] c : cases) {
            SeccompData d = SeccompData.of(c[0], ARCH, 0);
            assertEquals(c[1], run(prog, d).value(), d::toString);
            assertEquals(c[1], p.evaluate(d, TABLE).value(), d::toString);
        }
        Verdict v = p.decide(SeccompData.of(x32Ptrace, ARCH, 0), TABLE);
        assertEquals(Verdict.Reason.FOREIGN_ABI, v.reason());
        assertEquals(6, run(prog, SeccompData.of(x32Ptrace, ARCH, 0)).executed(), "LD, JEQ, LD, JGE, JEQ, RET");

        // x32 as an arch of its own: no check, x32 numbers reach the rules (and the default)
        Policy own = new Policy(Action.ALLOW, Action.KILL_PROCESS, List.of(RuleSet.of(Action.errno(1), SyscallRule.any(ptrace),
                SyscallRule.any(x32Ptrace))), ForeignAbiSyscalls.RULE_SETS);
        Program ownProg = SeccompCompiler.compile(own, TABLE);
        for (int i = 0; i < ownProg.size(); i++) {
            assertNotEquals(0x40000000, ownProg.get(i).k(), "no x32 check");
        }
        assertEquals(Action.RET_ERRNO | 1, run(ownProg, SeccompData.of(x32Ptrace, ARCH, 0)).value());
        assertEquals(Action.RET_ALLOW, run(ownProg, SeccompData.of(0x40000000 | 39, ARCH, 0)).value());
        assertEquals(Verdict.Reason.RULE_SET, own.decide(SeccompData.of(x32Ptrace, ARCH, 0), TABLE).reason());
        // the check costs one instruction on the path of a native syscall
        Program ownPlain = SeccompCompiler.compile(p.withForeignAbiSyscalls(ForeignAbiSyscalls.RULE_SETS), TABLE);
        assertEquals(run(ownPlain, SeccompData.of(ptrace, ARCH, 0)).executed() + 1, run(prog, SeccompData.of(ptrace, ARCH, 0)).executed());
        assertEquals(ownPlain.size() + 2, prog.size());

        // with the check, an x32 number in the rules is never asked about: not compiled
        Policy listed = own.withForeignAbiSyscalls(ForeignAbiSyscalls.BAD_ARCH_ACTION);
        Program listedProg = SeccompCompiler.compile(listed, TABLE);
        assertEquals(prog, listedProg);
        assertEquals(Action.KILL_PROCESS, listed.evaluate(SeccompData.of(x32Ptrace, ARCH, 0), TABLE));

        // the bad-arch action equal to the default: the rules give x32 numbers the default anyway, no check
        Policy same = new Policy(Action.KILL_THREAD, Action.KILL_THREAD, List.of(RuleSet.of(Action.ALLOW, SyscallRule.any(ptrace),
                SyscallRule.any(x32Ptrace))));
        Program sameProg = SeccompCompiler.compile(same, TABLE);
        assertEquals(SeccompCompiler.compile(same.withRuleSets(List.of(RuleSet.of(Action.ALLOW, SyscallRule.any(ptrace)))), Fixtures.ARM64)
                .size(), sameProg.size());
        for (int nr : new int[] {x32Ptrace, 0x40000000, 0x7fffffff, -2, -1, 0x80000000}) {
            SeccompData d = SeccompData.of(nr, ARCH, 0);
            assertEquals(Action.RET_KILL_THREAD, run(sameProg, d).value(), d::toString);
            assertEquals(Action.KILL_THREAD, same.evaluate(d, TABLE), d::toString);
        }

        // arm64 has no x32: its numbers >= 0x40000000 are just numbers
        Program arm = SeccompCompiler.compile(own.withForeignAbiSyscalls(ForeignAbiSyscalls.BAD_ARCH_ACTION), Fixtures.ARM64);
        assertEquals(Action.RET_ERRNO | 1, run(arm, SeccompData.of(x32Ptrace, Fixtures.AUDIT_ARCH_AARCH64, 0)).value());
    }

    @Test
    void failedVsyscallCheckContinuesWithTheNextRuleSet() {
        Policy p = new Policy(Action.KILL_THREAD, null, List.of(
                new RuleSet(Action.TRAP, true, List.of(SyscallRule.any(96))),
                RuleSet.of(Action.ALLOW, SyscallRule.any(96))));
        Program prog = SeccompCompiler.compile(p, TABLE);
        assertEquals(Action.RET_TRAP, run(prog, SeccompData.of(96, ARCH, 0xffffffffff600000L)).value());
        assertEquals(Action.RET_ALLOW, run(prog, SeccompData.of(96, ARCH, 0x400000)).value());
        assertEquals(Action.RET_KILL_THREAD, run(prog, SeccompData.of(97, ARCH, 0x400000)).value());
    }

    @Test
    void redundantHalfWordTestsAreDropped() {
        // Ge(0) always holds: the same program as "any arguments".
        Program any = SeccompCompiler.compile(new Policy(Action.KILL_THREAD, null,
                List.of(RuleSet.of(Action.ALLOW, SyscallRule.any(7)))), TABLE);
        Program ge0 = SeccompCompiler.compile(new Policy(Action.KILL_THREAD, null,
                List.of(RuleSet.of(Action.ALLOW, SyscallRule.anyOf(7, Rule.of(Matcher.ge(0), Matcher.le(-1L), Matcher.maskedEq(0, 0)))))), TABLE);
        assertEquals(any, ge0);
        // Impossible matchers remove their rule.
        Program never = SeccompCompiler.compile(new Policy(Action.KILL_THREAD, null,
                List.of(RuleSet.of(Action.ALLOW, SyscallRule.anyOf(7, Rule.of(Matcher.gt(-1L)), Rule.of(Matcher.lt(0)),
                        Rule.of(Matcher.maskedEq(0xf0, 0x1)))))), TABLE);
        assertEquals(Action.RET_KILL_THREAD, run(never, SeccompData.of(7, ARCH, 0, 1)).value());
        assertFalse(loads(never, SeccompData.argLow(0)) || loads(never, SeccompData.argHigh(0)));
        // Eq with a zero high word still tests the high word (0x1_0000_0005 != 5).
        Program eq = SeccompCompiler.compile(new Policy(Action.KILL_THREAD, null,
                List.of(RuleSet.of(Action.ALLOW, SyscallRule.anyOf(7, Rule.of(Matcher.eq(5)))))), TABLE);
        assertTrue(loads(eq, SeccompData.argHigh(0)));
        assertEquals(Action.RET_KILL_THREAD, run(eq, SeccompData.of(7, ARCH, 0, 0x100000005L)).value());
        assertEquals(Action.RET_ALLOW, run(eq, SeccompData.of(7, ARCH, 0, 5)).value());
        // Ge(2^32) needs the high word only; Lt(5) with a zero high word skips gVisor's JGT-then-JEQ pair.
        Program ge = SeccompCompiler.compile(new Policy(Action.KILL_THREAD, null,
                List.of(RuleSet.of(Action.ALLOW, SyscallRule.anyOf(7, Rule.of(Matcher.ge(1L << 32)))))), TABLE);
        assertFalse(loads(ge, SeccompData.argLow(0)));
        Program gvisorGe = GvisorGenerator2021.build(new Policy(Action.KILL_THREAD, null,
                List.of(RuleSet.of(Action.ALLOW, SyscallRule.anyOf(7, Rule.of(Matcher.ge(1L << 32)))))), ARCH);
        SeccompData big = SeccompData.of(7, ARCH, 0, 1L << 32);
        assertEquals(Action.RET_ALLOW, run(ge, big).value());
        assertTrue(run(ge, big).executed() < run(gvisorGe, big).executed());
    }

    @Test
    void singleBitMasksUseJset() {
        Program p = SeccompCompiler.compile(new Policy(Action.KILL_THREAD, null, List.of(RuleSet.of(Action.ALLOW,
                SyscallRule.anyOf(7, Rule.of(Matcher.maskedEq(0x100, 0x100), Matcher.maskedEq(0xff, 0)))))), TABLE);
        for (int i = 0; i < p.size(); i++) {
            assertNotEquals(Bpf.BPF_ALU | Bpf.BPF_AND | Bpf.BPF_K, p.get(i).code(), "no AND needed");
        }
        assertEquals(Action.RET_ALLOW, run(p, SeccompData.of(7, ARCH, 0, 0x1100, 0x300)).value());
        assertEquals(Action.RET_KILL_THREAD, run(p, SeccompData.of(7, ARCH, 0, 0x1000, 0x300)).value());
        assertEquals(Action.RET_KILL_THREAD, run(p, SeccompData.of(7, ARCH, 0, 0x100, 0x301)).value());
    }

    @Test
    void hotSyscallsAreTestedFirst() {
        List<SyscallRule> many = new ArrayList<>();
        for (int nr = 0; nr < 200; nr += 2) {
            many.add(SyscallRule.any(nr));
        }
        Policy p = new Policy(Action.KILL_THREAD, null, List.of(new RuleSet(Action.ALLOW, false, many)));
        Program plain = SeccompCompiler.compile(p, TABLE);
        Program hot = SeccompCompiler.compile(p, TABLE, SeccompCompiler.Options.hot(0, 198, 777));
        for (int nr = 0; nr < 210; nr++) {
            SeccompData d = SeccompData.of(nr, ARCH, 0);
            assertEquals(run(plain, d).value(), run(hot, d).value());
        }
        assertEquals(7, run(hot, SeccompData.of(198, ARCH, 0)).executed(), "LD arch, JEQ, LD nr, JGE x32, JEQ 0, JEQ 198, RET");
        assertTrue(run(plain, SeccompData.of(198, ARCH, 0)).executed() > 7);
        assertThrows(NullPointerException.class, () -> SeccompCompiler.Options.hot((Integer) null));
    }

    @Test
    void everyCompiledProgramPassesTheKernelChecks() {
        Program p = SeccompCompiler.compile(StubProgramTest.stubPolicy(Action.KILL_THREAD), TABLE);
        assertDoesNotThrow(() -> SeccompValidator.check(p));
        assertTrue(p.size() <= Bpf.BPF_MAXINSNS);
    }

    @Test
    void largeProgramsUseTrampolinesAndStayCorrect() {
        // Long chains push conditional jumps beyond 255 instructions.
        List<SyscallRule> rules = new ArrayList<>();
        for (int nr = 0; nr < 60; nr++) {
            List<Rule> anyOf = new ArrayList<>();
            for (int r = 0; r < 4; r++) {
                anyOf.add(Rule.of(Matcher.eq(nr * 10 + r), Matcher.ne(r), Matcher.gt(1L << 40), Matcher.lt(-5L)));
            }
            rules.add(new SyscallRule(nr, false, anyOf));
        }
        Policy p = new Policy(Action.KILL_THREAD, null, List.of(new RuleSet(Action.ALLOW, false, rules)));
        Program prog = SeccompCompiler.compile(p, TABLE);
        assertTrue(prog.size() > 1000, "size " + prog.size());
        for (int nr = 0; nr < 62; nr++) {
            for (long a0 : new long[] {nr * 10L, nr * 10L + 3, nr * 10L + 4}) {
                for (long a1 : new long[] {0, 3, 9}) {
                    SeccompData d = SeccompData.of(nr, ARCH, 0, a0, a1, (1L << 40) + 1, 7);
                    assertEquals(p.evaluate(d, TABLE).value(), run(prog, d).value(), d::toString);
                }
            }
        }
    }
    /**
     * One syscall with 20,000 rules (the DAG is a chain 40,000 tests deep before jump threading
     * collapses it): compiles without overflowing the stack, and the program gives the rule
     * model's verdicts. Rule i: {@code arg0 == i % 64 && arg1 <= i % 5}.
     */
    @Test
    void twentyThousandRulesForOneSyscall() {
        List<Rule> anyOf = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            anyOf.add(Rule.of(Matcher.eq(i % 64), Matcher.le(i % 5)));
        }
        Policy p = new Policy(Action.KILL_THREAD, null, List.of(
                RuleSet.of(Action.ALLOW, new SyscallRule(7, false, anyOf)),
                RuleSet.of(Action.errno(1), SyscallRule.any(7), SyscallRule.any(8))));
        Program prog = SeccompCompiler.compile(p, TABLE);
        assertDoesNotThrow(() -> SeccompValidator.check(prog));
        int allowed = 0;
        for (int nr = 6; nr <= 9; nr++) {
            for (long a0 : new long[] {0, 1, 5, 63, 64, 65, 1L << 32, (1L << 32) + 5, -1}) {
                for (long a1 : new long[] {0, 3, 4, 5, 6, 1L << 32, -1}) {
                    SeccompData d = SeccompData.of(nr, ARCH, 0, a0, a1);
                    int want = p.evaluate(d, TABLE).value();
                    assertEquals(want, run(prog, d).value(), d::toString);
                    allowed += want == Action.RET_ALLOW ? 1 : 0;
                }
            }
        }
        assertEquals(4 * 3, allowed, "arg0 in {0, 1, 5, 63} and arg1 in {0, 3, 4} are allowed for syscall 7");
        // 20,000 identical rules collapse into one.
        List<Rule> same = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            same.add(Rule.of(Matcher.eq(3), Matcher.maskedEq(0xf0, 0x10)));
        }
        Policy q = new Policy(Action.KILL_THREAD, null, List.of(RuleSet.of(Action.ALLOW, new SyscallRule(7, false, same))));
        Program one = SeccompCompiler.compile(q, TABLE);
        Program single = SeccompCompiler.compile(new Policy(Action.KILL_THREAD, null,
                List.of(RuleSet.of(Action.ALLOW, SyscallRule.anyOf(7, same.get(0))))), TABLE);
        assertEquals(single, one);
    }

    /** 20,000 different values for one argument cannot fit in 4096 instructions: a clean error. */
    @Test
    void twentyThousandDifferentRulesAreTooLargeNotAStackOverflow() {
        List<Rule> anyOf = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            anyOf.add(Rule.of(Matcher.eq(i * 3L)));
        }
        Policy p = new Policy(Action.KILL_THREAD, null, List.of(RuleSet.of(Action.ALLOW, new SyscallRule(16, false, anyOf))));
        SeccompCompileException e = assertThrows(SeccompCompileException.class, () -> SeccompCompiler.compile(p, TABLE));
        assertTrue(e.getMessage().startsWith("seccomp program too large: "), e.getMessage());
    }
    @Test
    void aPolicyOverTheRuleLimitIsRefusedBeforeItIsCompiled() {
        List<Rule> half = new ArrayList<>();
        for (int i = 0; i < SeccompCompiler.MAX_RULES / 2; i++) {
            half.add(Rule.of(Matcher.eq(i)));
        }
        List<Rule> more = new ArrayList<>(half);
        more.add(Rule.of(Matcher.ne(1)));
        Policy p = new Policy(Action.KILL_THREAD, null, List.of(RuleSet.of(Action.ALLOW, new SyscallRule(1, false, half)),
                RuleSet.of(Action.ALLOW, new SyscallRule(2, false, more))));
        SeccompCompileException e = assertThrows(SeccompCompileException.class, () -> SeccompCompiler.compile(p, TABLE));
        assertEquals("too many rules: 65537 (anyOf entries over all rule sets), the compiler takes at most 65536; syscall 2 has 32769",
                e.getMessage());
    }
}
