package dev.tether.seccomp;

import static org.junit.jupiter.api.Assertions.*;

import dev.tether.bpf.Interpreter;
import dev.tether.bpf.Program;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExplainTest {
    private static final int ARCH = Fixtures.AUDIT_ARCH_X86_64;
    private static final SyscallTable TABLE = Fixtures.AMD64;

    @Test
    void explainsTheStubProgram() {
        Policy policy = StubProgramTest.stubPolicy(Action.KILL_THREAD);
        Program p = SeccompCompiler.compile(policy, TABLE);
        Explain.Report r = Explain.of(p, ARCH);
        assertEquals(p.size(), r.instructions());
        assertEquals(1024, r.perSyscall().size());
        assertEquals(3, r.badArchExecuted(), "LD arch, JEQ, RET");
        // An unlisted syscall has no argument comparisons: one input.
        Explain.SyscallCost unlisted = r.perSyscall().get(500);
        assertEquals(1, unlisted.inputs());
        assertEquals(unlisted.max(), unlisted.min());
        // prctl's rule compares arg0 with 1 and arg1 with 9: exploration reaches the ALLOW path,
        // the longest one, which runs every one of its comparisons.
        Explain.SyscallCost prctl = r.perSyscall().get(157);
        assertTrue(prctl.inputs() > 10, "explored " + prctl.inputs());
        SeccompData allowed = SeccompData.of(157, ARCH, 0, 1, 9);
        Interpreter.Result res = Interpreter.run(p, allowed.toBytes(ByteOrder.LITTLE_ENDIAN), ByteOrder.LITTLE_ENDIAN);
        assertEquals(Action.RET_ALLOW, res.value());
        assertEquals(res.executed(), prctl.max());
        assertTrue(prctl.mean() < prctl.max() && prctl.mean() > prctl.min());
        // The vsyscall IP check is found too (IP high word 0x80000000 +- 1).
        assertTrue(r.perSyscall().get(96).inputs() >= 3);
        assertEquals(r.perSyscall().stream().mapToInt(Explain.SyscallCost::max).max().getAsInt(), r.max());
        assertNull(r.foreignAbi());
        assertEquals(-1, r.foreignAbiExecuted());
        String text = r.format(Fixtures.AMD64, 5);
        assertTrue(text.startsWith("instructions: " + p.size() + " (limit 4096)\n"), text);
        assertFalse(text.contains("x32"), text);
        assertTrue(text.contains("prctl"), text);
        assertEquals(2 + 1 + 5, text.split("\n").length, text);
    }

    /** With the table, one x32 syscall (0x40000000) is run too: LD arch, JEQ, LD nr, JGE, JEQ, RET. */
    @Test
    void explainsOneX32Syscall() {
        Policy policy = new Policy(Action.ALLOW, Action.KILL_PROCESS, List.of(RuleSet.of(Action.errno(1), SyscallRule.any(101))));
        Program p = SeccompCompiler.compile(policy, TABLE);
        Explain.Report r = Explain.of(p, TABLE, 10);
        assertEquals(Fixtures.X32, r.foreignAbi());
        assertEquals(6, r.foreignAbiExecuted());
        String text = r.format(TABLE, 0);
        assertTrue(text.contains("; foreign arch: 3; x32 (nr 0x40000000): 6\n"), text);
        Explain.Report arm = Explain.of(SeccompCompiler.compile(policy, Fixtures.ARM64), Fixtures.ARM64, 10);
        assertNull(arm.foreignAbi());
        assertFalse(arm.format(Fixtures.ARM64, 0).contains("x32"));
    }

    @Test
    void withWordReplacesOneHalf() {
        SeccompData d = SeccompData.of(1, ARCH, 0x1111111122222222L, 0x3333333344444444L);
        assertEquals(0x11111111ffffffffL, Explain.withWord(d, 8, -1).instructionPointer());
        assertEquals(0x0000000722222222L, Explain.withWord(d, 12, 7).instructionPointer());
        assertEquals(0x3333333300000005L, Explain.withWord(d, 16, 5).argsArray()[0]);
        assertEquals(0x0000000944444444L, Explain.withWord(d, 20, 9).argsArray()[0]);
        assertEquals(9L << 32, Explain.withWord(d, 60, 9).argsArray()[5]);
    }
    @Test
    void syscallRangeIsCheckedAndTheLastNumberEnds() {
        Program p = SeccompCompiler.compile(new Policy(Action.ALLOW, null, List.of()), TABLE);
        // nr <= Integer.MAX_VALUE is always true: a loop on it never ended.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Explain.of(p, ARCH, Integer.MAX_VALUE));
        assertEquals("highest syscall number 2147483647 is out of range 0.." + Explain.MAX_NR, e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Explain.of(p, ARCH, -1));
        assertEquals(Explain.MAX_NR + 1, Explain.of(p, ARCH, Explain.MAX_NR).perSyscall().size());
        assertEquals(1, Explain.of(p, ARCH, 0).perSyscall().size());
        Explain.Report r = Explain.of(p, ARCH, 3);
        assertThrows(IllegalArgumentException.class, () -> r.format(null, -1));
        assertEquals(2 + 1, r.format(null, 0).split("\n").length);
        assertEquals(2 + 1 + 4, r.format(null, Integer.MAX_VALUE).split("\n").length);
    }
}
