package dev.tether.arch.arm64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tether.seccomp.Action;
import dev.tether.seccomp.RuleSet;
import dev.tether.seccomp.SyscallRule;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class Arm64SeccompContributionTest {
    private final Arm64SeccompContribution contribution = new Arm64SeccompContribution();
    private final RuleSet existing = RuleSet.of(Action.ALLOW, SyscallRule.any(172), SyscallRule.any(173));

    @Test
    void rulesComeBackUnchangedForEveryDefault() {
        for (Action def : List.of(Action.ALLOW, Action.KILL_PROCESS, Action.KILL_THREAD, Action.TRAP, Action.errno(1))) {
            List<RuleSet> in = new ArrayList<>(List.of(existing));
            List<RuleSet> out = contribution.append(in, def);
            assertEquals(List.of(existing), out, "default " + def);
            assertEquals(List.of(existing), in, "input must not change");
            assertThrows(UnsupportedOperationException.class, () -> out.add(existing));
        }
        assertEquals(List.of(), contribution.append(List.of(), Action.KILL_PROCESS));
    }

    @Test
    void nullsAreRejected() {
        assertThrows(NullPointerException.class, () -> contribution.append(null, Action.ALLOW));
        assertThrows(NullPointerException.class, () -> contribution.append(List.of(), null));
        assertEquals("arm64", contribution.arch());
    }
}
