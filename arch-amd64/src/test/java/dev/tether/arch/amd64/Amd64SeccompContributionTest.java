package dev.tether.arch.amd64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.seccomp.Action;
import dev.tether.seccomp.RuleSet;
import dev.tether.seccomp.SyscallRule;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class Amd64SeccompContributionTest {
    private final Amd64SeccompContribution contribution = new Amd64SeccompContribution();
    private final RuleSet existing = RuleSet.of(Action.ALLOW, SyscallRule.any(39), SyscallRule.any(110));

    private static long[] args(long... a) {
        long[] r = new long[6];
        System.arraycopy(a, 0, r, 0, a.length);
        return r;
    }

    @Test
    void allowDefaultGetsOnlyTheVsyscallTrapSet() {
        List<RuleSet> out = contribution.append(List.of(existing), Action.ALLOW);
        assertEquals(2, out.size());
        assertEquals(existing, out.get(0));
        RuleSet vsyscall = out.get(1);
        assertEquals(Action.TRAP, vsyscall.action());
        assertTrue(vsyscall.vsyscall());
        // gettimeofday, time, getcpu (appendArchSeccompRules, subprocess_amd64.go), with any arguments
        assertEquals(List.of(96, 201, 309), vsyscall.syscalls().stream().map(SyscallRule::nr).toList());
        for (SyscallRule s : vsyscall.syscalls()) {
            assertTrue(s.matchAll(), "syscall " + s.nr() + " must match any arguments");
        }
        // A raw ALLOW value is the same default action as Action.ALLOW.
        assertEquals(out, contribution.append(List.of(existing), Action.raw(0x7fff0000)));
    }

    @Test
    void otherDefaultsAlsoAllowArchPrctlSetCpuidZero() {
        for (Action def : List.of(Action.KILL_PROCESS, Action.KILL_THREAD, Action.TRAP, Action.errno(1), Action.trace(0))) {
            List<RuleSet> out = contribution.append(List.of(existing), def);
            assertEquals(3, out.size(), "default " + def);
            assertEquals(Action.TRAP, out.get(1).action());
            RuleSet cpuid = out.get(2);
            assertEquals(Action.ALLOW, cpuid.action());
            assertFalse(cpuid.vsyscall());
            assertEquals(1, cpuid.syscalls().size());
            SyscallRule archPrctl = cpuid.find(158);
            assertFalse(archPrctl.matchAll());
            assertTrue(archPrctl.test(args(0x1012, 0), 0), "arch_prctl(ARCH_SET_CPUID, 0)");
            assertTrue(archPrctl.test(args(0x1012, 0, 77, 1, 2, 3), 0), "the other arguments are free");
            assertFalse(archPrctl.test(args(0x1012, 1), 0), "ARCH_SET_CPUID 1");
            assertFalse(archPrctl.test(args(0x1011, 0), 0), "ARCH_GET_CPUID");
            assertFalse(archPrctl.test(args(0x1_0000_1012L, 0), 0), "all 64 bits are compared");
            assertFalse(archPrctl.test(args(0x1012, 1L << 32), 0), "all 64 bits are compared");
        }
    }

    @Test
    void inputIsNotModified() {
        List<RuleSet> in = new ArrayList<>(List.of(existing));
        List<RuleSet> out = contribution.append(in, Action.KILL_PROCESS);
        assertEquals(List.of(existing), in);
        assertEquals(3, out.size());
        assertEquals(1, contribution.append(List.of(), Action.ALLOW).size(), "empty input gets the vsyscall set only");
        assertThrows(UnsupportedOperationException.class, () -> out.add(existing));
    }

    @Test
    void nullsAreRejected() {
        assertThrows(NullPointerException.class, () -> contribution.append(null, Action.ALLOW));
        assertThrows(NullPointerException.class, () -> contribution.append(List.of(), null));
        assertEquals("amd64", contribution.arch());
    }
}
