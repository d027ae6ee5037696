package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.abi.Clone;
import dev.tether.abi.Prctl;
import dev.tether.abi.Signals;
import dev.tether.api.Stub;
import dev.tether.bpf.Interpreter;
import dev.tether.bpf.Program;
import dev.tether.seccomp.Action;
import dev.tether.seccomp.Matcher;
import dev.tether.seccomp.Policy;
import dev.tether.seccomp.Rule;
import dev.tether.seccomp.RuleSet;
import dev.tether.seccomp.SeccompCompiler;
import dev.tether.seccomp.SeccompData;
import dev.tether.seccomp.SyscallRule;
import dev.tether.seccomp.SyscallTable;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Differential test of the BPF interpreter (and the compiler) against the kernel: seeded random
 * rule sets whose actions are all ERRNO(k) with distinct k (so nothing they match executes) are
 * installed in real stubs; random (nr, args) are injected, and the kernel's -k must equal the
 * interpreter's verdict on the same compiled program. On amd64 some numbers are the x32 twins of
 * listed ones (0x40000000 | nr), which the program gives the bad-arch action, another ERRNO.
 */
@ExtendWith(NoLeftoverProcesses.class)
class BpfKernelDifferentialTest {
    static final long SEED = Long.getLong("tether.test.seed", 0x7e7e_2026L);
    static final int POLICIES = 40;
    static final int PAIRS_PER_POLICY = 64;

    static StubPlatformImpl platform;
    static final SyscallTable TABLE = TestArch.table();

    @BeforeAll
    static void start() {
        platform = TestArch.platform(Settings.defaults());
    }

    @AfterAll
    static void stop() {
        platform.close();
    }

    /** The values the random matchers and arguments are drawn from: edges of the 32/64-bit halves. */
    static final long[] INTERESTING = {0, 1, 2, 19, 0x7f, 0x80, 0xff, 0x1000, 0x7fffffffL, 0x80000000L, 0xffffffffL,
        0x1_0000_0000L, 0x1_0000_0001L, 0x7fff_ffff_ffff_ffffL, 0x8000_0000_0000_0000L, -2L, -1L};

    static long value(SplittableRandom r) {
        long v = INTERESTING[r.nextInt(INTERESTING.length)];
        switch (r.nextInt(4)) {
            case 0: return v + 1;
            case 1: return v - 1;
            case 2: return r.nextLong();
            default: return v;
        }
    }

    static Matcher matcher(SplittableRandom r) {
        long v = value(r);
        switch (r.nextInt(9)) {
            case 0: return Matcher.any();
            case 1: return Matcher.eq(v);
            case 2: return Matcher.ne(v);
            case 3: return Matcher.gt(v);
            case 4: return Matcher.ge(v);
            case 5: return Matcher.lt(v);
            case 6: return Matcher.le(v);
            case 7: return Matcher.maskedEq(value(r), v);
            default: return Matcher.eq(v & 0xffffffffL);
        }
    }

    /** The bootstrap the stub must be able to run (gVisor's stub_<arch>.s), allowed before any random set. */
    static RuleSet bootstrap() {
        return new RuleSet(Action.ALLOW, false, List.of(
                SyscallRule.anyOf(TABLE.require("prctl"), Rule.of(Matcher.eq(Prctl.PR_SET_PDEATHSIG), Matcher.eq(Signals.SIGKILL))),
                SyscallRule.any(TABLE.require("getppid")),
                SyscallRule.any(TABLE.require("getpid")),
                SyscallRule.anyOf(TABLE.require("kill"), Rule.of(Matcher.any(), Matcher.eq(Signals.SIGSTOP)))));
    }

    @Test
    void theKernelAgreesWithTheInterpreter() {
        SplittableRandom r = new SplittableRandom(SEED);
        int audit = TABLE.auditArch();
        long ip = platform.facts().stubAddress() + platform.stubCode().syscallOffset();
        int kill = TABLE.require("kill");
        int compared = 0;
        int x32 = 0;
        List<Integer> bypassed = KernelQuirks.bypassed(platform, 450);
        Map<String, Integer> verdicts = new LinkedHashMap<>();
        for (int p = 0; p < POLICIES; p++) {
            int errno = 1;
            List<RuleSet> sets = new ArrayList<>();
            sets.add(bootstrap());
            List<Integer> listed = new ArrayList<>();
            int nsets = 1 + r.nextInt(4);
            for (int s = 0; s < nsets; s++) {
                List<SyscallRule> syscalls = new ArrayList<>();
                List<Integer> used = new ArrayList<>();
                int n = 1 + r.nextInt(6);
                for (int i = 0; i < n; i++) {
                    int nr = r.nextInt(4) == 0 && !listed.isEmpty() ? listed.get(r.nextInt(listed.size())) : r.nextInt(451);
                    if (used.contains(nr)) {
                        continue;
                    }
                    used.add(nr);
                    listed.add(nr);
                    if (r.nextInt(4) == 0) {
                        syscalls.add(SyscallRule.any(nr));
                    } else {
                        Rule[] rules = new Rule[1 + r.nextInt(3)];
                        for (int k = 0; k < rules.length; k++) {
                            Matcher[] m = new Matcher[6];
                            for (int a = 0; a < 6; a++) {
                                m[a] = r.nextInt(3) == 0 ? matcher(r) : Matcher.any();
                            }
                            rules[k] = Rule.of(m);
                        }
                        syscalls.add(SyscallRule.anyOf(nr, rules));
                    }
                }
                errno += 1 + r.nextInt(50);
                sets.add(new RuleSet(Action.errno(errno), r.nextInt(6) == 0, syscalls));
            }
            Policy policy = new Policy(Action.errno(errno + 1), Action.errno(errno + 2), sets);
            Program program = SeccompCompiler.compile(policy, TABLE);
            String where = "seed 0x" + Long.toHexString(SEED) + " policy " + p;
            try (Stub stub = platform.attachedThread(Clone.CLONE_FILES, policy)) {
                for (int i = 0; i < PAIRS_PER_POLICY; i++) {
                    int nr = r.nextInt(3) != 0 ? listed.get(r.nextInt(listed.size())) : r.nextInt(451);
                    if (nr == kill || bypassed.contains(nr)) {
                        // kill(any, SIGSTOP) is allowed for the bootstrap: never signal random pids;
                        // numbers the kernel answers before seccomp cannot be compared (KernelQuirks).
                        continue;
                    }
                    long[] args = new long[6];
                    for (int a = 0; a < 6; a++) {
                        args[a] = r.nextInt(3) == 0 ? 0 : value(r);
                    }
                    if (TABLE.foreignAbi().isPresent() && r.nextInt(8) == 0) {
                        nr |= TABLE.foreignAbi().get().syscallBit(); // x32 twin: the bad-arch action
                        x32++;
                    }
                    SeccompData data = new SeccompData(nr, audit, ip, args);
                    int verdict = Interpreter.run(program, data.toBytes(ByteOrder.nativeOrder()), ByteOrder.nativeOrder()).value();
                    assertEquals(policy.evaluate(data, TABLE).value(), verdict, where + ": interpreter vs rules for " + data);
                    long got = stub.syscall(nr, args);
                    Action v = Action.raw(verdict);
                    if (v.actionPart() == Action.RET_ERRNO) {
                        assertEquals(-v.data(), got, where + ": kernel vs interpreter for " + data);
                        compared++;
                        verdicts.merge(v.toString().equals(policy.defaultAction().toString()) ? "default" : "rule", 1, Integer::sum);
                    } else {
                        // Only the bootstrap calls are allowed; they ran for real.
                        assertEquals(Action.ALLOW, v, where + ": " + data);
                        assertTrue(got >= 0, where + ": allowed " + data + " returned " + got);
                    }
                }
            }
        }
        assertTrue(compared >= 2000, "compared only " + compared + " (nr, args) pairs");
        assertTrue(TABLE.foreignAbi().isEmpty() || x32 > 100, "x32 numbers: " + x32);
        assertTrue(verdicts.getOrDefault("rule", 0) > 200 && verdicts.getOrDefault("default", 0) > 200,
                "both rule and default verdicts must be exercised: " + verdicts);
    }
}
