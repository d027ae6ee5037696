package dev.tether.seccomp;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link Policy#decide}: which part of a policy gave a verdict, and how {@code seccomp eval} says it. */
class VerdictTest {
    private static final SyscallTable AMD64 = Fixtures.AMD64;
    private static final int ARCH = Fixtures.AUDIT_ARCH_X86_64;

    /** launcher/examples/no-ptrace.json plus a vsyscall set. */
    static final Policy POLICY = new Policy(Action.ALLOW, Action.KILL_PROCESS, List.of(
            RuleSet.of(Action.errno(1), SyscallRule.any(101), SyscallRule.any(311),
                    SyscallRule.anyOf(62, Rule.of(Matcher.any(), Matcher.eq(9)), Rule.of(Matcher.any(), Matcher.eq(15)))),
            new RuleSet(Action.TRAP, true, List.of(SyscallRule.any(96))),
            RuleSet.of(Action.errno(38), SyscallRule.anyOf(135, Rule.of(Matcher.ne(0xffffffffL))), SyscallRule.any(96))));

    static String describe(SeccompData d) {
        Verdict v = POLICY.decide(d, AMD64);
        assertEquals(POLICY.evaluate(d, AMD64), v.action());
        return v.action() + " <- " + v.describe(POLICY, AMD64, d);
    }

    @Test
    void saysWhichRuleSetAndRuleDecided() {
        assertEquals("errno:1 <- ruleSets[0].syscalls[0]: ptrace (101), any arguments", describe(SeccompData.of(101, ARCH, 0)));
        assertEquals("errno:1 <- ruleSets[0].syscalls[2].anyOf[1]: kill (62) {arg1 == 0xf}", describe(SeccompData.of(62, ARCH, 0, 1, 15)));
        assertEquals("errno:1 <- ruleSets[0].syscalls[1]: syscall 311 (0x137), any arguments", describe(SeccompData.of(311, ARCH, 0)));
        assertEquals("errno:38 <- ruleSets[2].syscalls[0].anyOf[0]: syscall 135 (0x87) {arg0 != 0xffffffff}",
                describe(SeccompData.of(135, ARCH, 0, 5)));
        assertEquals("trap <- ruleSets[1].syscalls[0]: gettimeofday (96), any arguments, from the vsyscall page (\"vsyscall\": true)",
                describe(SeccompData.of(96, ARCH, 0xffffffffff600000L)));
        assertEquals("errno:38 <- ruleSets[2].syscalls[1]: gettimeofday (96), any arguments; not decided before by ruleSets[1]"
                + " (vsyscall page only)", describe(SeccompData.of(96, ARCH, 0x400000)));
    }

    @Test
    void saysWhenTheDefaultOrTheBadArchActionDecided() {
        assertEquals("allow <- defaultAction: no rule set lists getpid (39)", describe(SeccompData.of(39, ARCH, 0)));
        assertEquals("allow <- defaultAction: kill (62) is listed by ruleSets[0] (no rule matched)",
                describe(SeccompData.of(62, ARCH, 0, 1, 19)));
        assertEquals("allow <- defaultAction: no rule set lists syscall -1 (0xffffffff)", describe(SeccompData.of(-1, ARCH, 0)));
        assertEquals("kill_process <- badArchAction: seccomp_data.arch 0x40000003 is not amd64's 0xc000003e",
                describe(SeccompData.of(101, Fixtures.AUDIT_ARCH_I386, 0)));
        assertEquals("kill_process <- badArchAction: nr 0x40000209 is an x32 syscall (0x40000000 and up; \"x32\": \"badArchAction\")",
                describe(SeccompData.of(1073742345, ARCH, 0)));
        Verdict v = POLICY.decide(SeccompData.of(62, ARCH, 0, 1, 9), AMD64);
        assertEquals(new Verdict(Action.errno(1), Verdict.Reason.RULE_SET, 0, 2, 0, List.of()), v);
    }
}
