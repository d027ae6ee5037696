package dev.tether.seccomp;

import static org.junit.jupiter.api.Assertions.*;

import dev.tether.bpf.Bpf;
import dev.tether.bpf.Interpreter;
import dev.tether.bpf.Program;
import dev.tether.bpf.Validator;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Specific behaviours of {@link SeccompCompiler}; the random tests cover the general contract. */
class CompilerTest {
    private static final int ARCH = Fixtures.AUDIT_ARCH_X86_64;
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
        Program p = SeccompCompiler.compile(new Policy(Action.errno(1), Action.KILL_PROCESS, List.of()), ARCH);
        assertEquals(4, p.size());
        assertEquals(new Interpreter.Result(Action.RET_ERRNO | 1, 3), run(p, SeccompData.of(1, ARCH, 0)));
        assertEquals(new Interpreter.Result(Action.RET_KILL_PROCESS, 3), run(p, SeccompData.of(1, Fixtures.AUDIT_ARCH_I386, 0)));
        // When every answer is the same, the program is one RET.
        Program one = SeccompCompiler.compile(new Policy(Action.ALLOW, Action.ALLOW,
                List.of(RuleSet.of(Action.ALLOW, SyscallRule.any(3)))), ARCH);
        assertEquals(Program.fromArrays(new int[] {0x06, 0, 0, Action.RET_ALLOW}), one);
    }

    @Test
    void ruleSetsForTheSameSyscallAreTriedInOrder() {
        Policy p = new Policy(Action.KILL_PROCESS, null, List.of(
                RuleSet.of(Action.ALLOW, SyscallRule.anyOf(5, Rule.of(Matcher.eq(1)))),
                RuleSet.of(Action.errno(13), SyscallRule.anyOf(5, Rule.of(Matcher.lt(100)))),
                RuleSet.of(Action.TRAP, SyscallRule.any(5)),
                RuleSet.of(Action.LOG, SyscallRule.any(5))));  // never reached: the TRAP set matches all
        Program prog = SeccompCompiler.compile(p, ARCH);
        assertEquals(Action.RET_ALLOW, run(prog, SeccompData.of(5, ARCH, 0, 1)).value());
        assertEquals(Action.RET_ERRNO | 13, run(prog, SeccompData.of(5, ARCH, 0, 2)).value());
        assertEquals(Action.RET_TRAP, run(prog, SeccompData.of(5, ARCH, 0, 100)).value());
        for (int i = 0; i < prog.size(); i++) {
            assertNotEquals(Action.RET_LOG, prog.get(i).k(), "the unreachable LOG set is not compiled");
        }
        // gVisor refuses this policy; Tether does not.
        assertThrows(GvisorGenerator2021.BuildError.class, () -> GvisorGenerator2021.build(p, ARCH));
    }

    @Test
    void failedVsyscallCheckContinuesWithTheNextRuleSet() {
        Policy p = new Policy(Action.KILL_THREAD, null, List.of(
                new RuleSet(Action.TRAP, true, List.of(SyscallRule.any(96))),
                RuleSet.of(Action.ALLOW, SyscallRule.any(96))));
        Program prog = SeccompCompiler.compile(p, ARCH);
        assertEquals(Action.RET_TRAP, run(prog, SeccompData.of(96, ARCH, 0xffffffffff600000L)).value());
        assertEquals(Action.RET_ALLOW, run(prog, SeccompData.of(96, ARCH, 0x400000)).value());
        assertEquals(Action.RET_KILL_THREAD, run(prog, SeccompData.of(97, ARCH, 0x400000)).value());
    }

    @Test
    void redundantHalfWordTestsAreDropped() {
        // Ge(0) always holds: the same program as "any arguments".
        Program any = SeccompCompiler.compile(new Policy(Action.KILL_THREAD, null,
                List.of(RuleSet.of(Action.ALLOW, SyscallRule.any(7)))), ARCH);
        Program ge0 = SeccompCompiler.compile(new Policy(Action.KILL_THREAD, null,
                List.of(RuleSet.of(Action.ALLOW, SyscallRule.anyOf(7, Rule.of(Matcher.ge(0), Matcher.le(-1L), Matcher.maskedEq(0, 0)))))), ARCH);
        assertEquals(any, ge0);
        // Impossible matchers remove their rule.
        Program never = SeccompCompiler.compile(new Policy(Action.KILL_THREAD, null,
                List.of(RuleSet.of(Action.ALLOW, SyscallRule.anyOf(7, Rule.of(Matcher.gt(-1L)), Rule.of(Matcher.lt(0)),
                        Rule.of(Matcher.maskedEq(0xf0, 0x1)))))), ARCH);
        assertEquals(Action.RET_KILL_THREAD, run(never, SeccompData.of(7, ARCH, 0, 1)).value());
        assertFalse(loads(never, SeccompData.argLow(0)) || loads(never, SeccompData.argHigh(0)));
        // Eq with a zero high word still tests the high word (0x1_0000_0005 != 5).
        Program eq = SeccompCompiler.compile(new Policy(Action.KILL_THREAD, null,
                List.of(RuleSet.of(Action.ALLOW, SyscallRule.anyOf(7, Rule.of(Matcher.eq(5)))))), ARCH);
        assertTrue(loads(eq, SeccompData.argHigh(0)));
        assertEquals(Action.RET_KILL_THREAD, run(eq, SeccompData.of(7, ARCH, 0, 0x100000005L)).value());
        assertEquals(Action.RET_ALLOW, run(eq, SeccompData.of(7, ARCH, 0, 5)).value());
        // Ge(2^32) needs the high word only; Lt(5) with a zero high word skips gVisor's JGT-then-JEQ pair.
        Program ge = SeccompCompiler.compile(new Policy(Action.KILL_THREAD, null,
                List.of(RuleSet.of(Action.ALLOW, SyscallRule.anyOf(7, Rule.of(Matcher.ge(1L << 32)))))), ARCH);
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
                SyscallRule.anyOf(7, Rule.of(Matcher.maskedEq(0x100, 0x100), Matcher.maskedEq(0xff, 0)))))), ARCH);
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
        Program plain = SeccompCompiler.compile(p, ARCH);
        Program hot = SeccompCompiler.compile(p, ARCH, SeccompCompiler.Options.hot(0, 198, 777));
        for (int nr = 0; nr < 210; nr++) {
            SeccompData d = SeccompData.of(nr, ARCH, 0);
            assertEquals(run(plain, d).value(), run(hot, d).value());
        }
        assertEquals(6, run(hot, SeccompData.of(198, ARCH, 0)).executed(), "LD arch, JEQ, LD nr, JEQ 0, JEQ 198, RET");
        assertTrue(run(plain, SeccompData.of(198, ARCH, 0)).executed() > 6);
        assertThrows(NullPointerException.class, () -> SeccompCompiler.Options.hot((Integer) null));
    }

    @Test
    void everyCompiledProgramPassesTheKernelChecks() {
        Program p = SeccompCompiler.compile(StubProgramTest.stubPolicy(Action.KILL_THREAD), ARCH);
        assertDoesNotThrow(() -> Validator.checkSeccomp(p));
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
        Program prog = SeccompCompiler.compile(p, ARCH);
        assertTrue(prog.size() > 1000, "size " + prog.size());
        for (int nr = 0; nr < 62; nr++) {
            for (long a0 : new long[] {nr * 10L, nr * 10L + 3, nr * 10L + 4}) {
                for (long a1 : new long[] {0, 3, 9}) {
                    SeccompData d = SeccompData.of(nr, ARCH, 0, a0, a1, (1L << 40) + 1, 7);
                    assertEquals(p.evaluate(d, ARCH).value(), run(prog, d).value(), d::toString);
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
        Program prog = SeccompCompiler.compile(p, ARCH);
        assertDoesNotThrow(() -> Validator.checkSeccomp(prog));
        int allowed = 0;
        for (int nr = 6; nr <= 9; nr++) {
            for (long a0 : new long[] {0, 1, 5, 63, 64, 65, 1L << 32, (1L << 32) + 5, -1}) {
                for (long a1 : new long[] {0, 3, 4, 5, 6, 1L << 32, -1}) {
                    SeccompData d = SeccompData.of(nr, ARCH, 0, a0, a1);
                    int want = p.evaluate(d, ARCH).value();
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
        Program one = SeccompCompiler.compile(q, ARCH);
        Program single = SeccompCompiler.compile(new Policy(Action.KILL_THREAD, null,
                List.of(RuleSet.of(Action.ALLOW, SyscallRule.anyOf(7, same.get(0))))), ARCH);
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
        SeccompCompileException e = assertThrows(SeccompCompileException.class, () -> SeccompCompiler.compile(p, ARCH));
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
        SeccompCompileException e = assertThrows(SeccompCompileException.class, () -> SeccompCompiler.compile(p, ARCH));
        assertEquals("too many rules: 65537 (anyOf entries over all rule sets), the compiler takes at most 65536; syscall 2 has 32769",
                e.getMessage());
    }
}
