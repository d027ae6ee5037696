package dev.tether.seccomp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A rule file written as an OCI profile and read back gives the same verdicts. */
class OciExportTest {
    static final SyscallTable AMD64 = MultiArchCompilerTest.AMD64;

    @Test
    void roundTripKeepsVerdicts() {
        long seed = RandomPolicies.seed(4242L);
        Random r = new Random(seed);
        int written = 0;
        for (int round = 0; round < 300; round++) {
            Policy p = withoutIp(MultiArchCompilerTest.policy(r, AMD64, RandomPolicies.action(r)).withBadArch(Action.KILL_THREAD));
            OciExport.Result out;
            try {
                out = OciExport.write(p, AMD64);
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage().contains("overlap") || e.getMessage().contains("no SCMP_ACT"), e.getMessage());
                continue;
            }
            written++;
            OciResolver.Resolution back = OciResolver.resolve(OciProfile.parse(out.json()),
                    new OciResolver.Options("amd64", List.of("amd64"), Set.of(), OciResolver.KernelVersion.parse("6.1"), true),
                    java.util.Map.of("amd64", AMD64));
            MultiArchPolicy orig = MultiArchPolicy.of(AMD64, p);
            for (SeccompData d : MultiArchCompilerTest.inputs(orig, r)) {
                assertEquals(orig.evaluate(d), back.policy().evaluate(d), () -> "seed " + seed + " " + d + "\n" + out.json());
            }
        }
        assertTrue(written > 100, "profiles written: " + written);
    }

    /** {@code p} without instruction-pointer tests, which OCI profiles cannot make. */
    static Policy withoutIp(Policy p) {
        List<RuleSet> sets = new ArrayList<>();
        for (RuleSet set : p.ruleSets()) {
            List<SyscallRule> out = new ArrayList<>();
            for (SyscallRule s : set.syscalls()) {
                List<Rule> rules = new ArrayList<>();
                s.anyOf().forEach(rule -> rules.add(new Rule(rule.args(), Matcher.any())));
                out.add(new SyscallRule(s.nr(), s.matchAll(), rules));
            }
            sets.add(new RuleSet(set.action(), set.vsyscall(), out));
        }
        return p.withRuleSets(sets);
    }

    @Test
    void whatOciCannotSayIsRefused() {
        Policy vs = new Policy(Action.ALLOW, Action.KILL_THREAD, List.of(new RuleSet(Action.TRAP, true, List.of(SyscallRule.any(0)))));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> OciExport.write(vs, AMD64)).getMessage().contains("vsyscall"));
        Policy overlap = new Policy(Action.ALLOW, Action.KILL_THREAD, List.of(
                RuleSet.of(Action.errno(1), SyscallRule.anyOf(1, Rule.of(Matcher.gt(3)))),
                RuleSet.of(Action.KILL_PROCESS, SyscallRule.any(1))));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OciExport.write(overlap, AMD64));
        assertTrue(e.getMessage().contains("ruleSets[0]") && e.getMessage().contains("ruleSets[1]"), e.getMessage());
        Policy badArch = new Policy(Action.ALLOW, Action.KILL_PROCESS, new ArrayList<>());
        assertTrue(OciExport.write(badArch, AMD64).warnings().get(0).contains("badArchAction"));
    }
}
