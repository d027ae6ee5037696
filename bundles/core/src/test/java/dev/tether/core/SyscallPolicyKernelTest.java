package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.abi.Clone;
import dev.tether.abi.Signals;
import dev.tether.abi.Wait;
import dev.tether.api.Stub;
import dev.tether.api.StubDiedException;
import dev.tether.linux.Sys;
import dev.tether.seccomp.Action;
import dev.tether.seccomp.Matcher;
import dev.tether.seccomp.Policy;
import dev.tether.seccomp.Rule;
import dev.tether.seccomp.RuleSet;
import dev.tether.seccomp.SeccompData;
import dev.tether.seccomp.SyscallRule;
import dev.tether.seccomp.SyscallTable;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The stub's seccomp policy, enforced by the kernel: every syscall number 0..450 that the policy
 * does not allow kills a throw-away stub with SIGSYS; every allowed one, with allowed arguments,
 * does not. Throw-away stubs are cloned with exit signal 0 (CLONE_FILES only), like
 * probeSeccomp's, so their death spares the host.
 */
@ExtendWith(NoLeftoverProcesses.class)
class SyscallPolicyKernelTest {
    static StubPlatformImpl platform;
    static SyscallTable table = TestArch.table();

    @BeforeAll
    static void start() {
        platform = TestArch.platform(Settings.defaults());
    }

    @AfterAll
    static void stop() {
        platform.close();
    }

    /** Arguments that satisfy the first rule of an allowed syscall (zeros where unconstrained). */
    static long[] allowedArgs(Policy policy, int nr) {
        long[] args = new long[6];
        for (RuleSet set : policy.ruleSets()) {
            SyscallRule s = set.find(nr);
            if (s == null || !set.action().equals(Action.ALLOW) || s.matchAll()) {
                continue;
            }
            Rule r = s.anyOf().get(0);
            for (int i = 0; i < 6; i++) {
                if (r.args().get(i) instanceof Matcher.Eq) {
                    args[i] = ((Matcher.Eq) r.args().get(i)).value();
                }
            }
            return args;
        }
        return args;
    }

    @Test
    void everySyscallOutsideThePolicyIsFatalAndEveryAllowedOneIsNot() {
        Policy policy = platform.stubPolicy(Action.KILL_THREAD);
        long ip = platform.facts().stubAddress() + platform.stubCode().syscallOffset();
        List<Integer> allowed = new ArrayList<>();
        List<Integer> bypassed = new ArrayList<>();
        int fatal = 0;
        for (int nr = 0; nr <= 450; nr++) {
            long[] args = allowedArgs(policy, nr);
            Action verdict = policy.evaluate(new SeccompData(nr, table.auditArch(), ip, args), table);
            if (verdict.equals(Action.KILL_THREAD)) {
                Stub stub = platform.attachedThread(Clone.CLONE_FILES, Action.KILL_THREAD);
                try {
                    long r = stub.syscall(nr, args);
                    stub.close();
                    // Tolerated only where the kernel never consults seccomp, for a number
                    // outside its syscall table or uretprobe/uprobe (see KernelQuirks).
                    assertTrue(KernelQuirks.mayBypass(table.name(nr)) && KernelQuirks.bypassesSeccomp(platform, nr),
                            "syscall " + nr + " (" + table.name(nr).orElse("?") + ") outside the policy returned " + r);
                    bypassed.add(nr);
                } catch (StubDiedException e) {
                    assertEquals(Signals.SIGSYS, e.termSignal(), "syscall " + nr + ": " + e.getMessage());
                    fatal++;
                }
            } else {
                assertEquals(Action.ALLOW, verdict, "syscall " + nr);
                allowed.add(nr);
            }
        }
        assertTrue(fatal > 400, "most syscalls are forbidden, got " + fatal);
        assertTrue(bypassed.size() <= 4, "the kernel bypasses seccomp for " + bypassed);
        if (!bypassed.isEmpty()) {
            System.out.println("note: this kernel answers syscall numbers " + bypassed + " without running seccomp");
        }
        for (int nr : allowed) {
            checkAllowed(nr, allowedArgs(policy, nr));
        }
        List<String> names = allowed.stream().map(n -> table.name(n).orElse("?")).toList();
        assertTrue(names.containsAll(List.of("clone", "wait4", "exit", "prctl", "getppid", "getpid", "kill", "mmap", "munmap")),
                "allowed: " + names);
    }

    private void checkAllowed(int nr, long[] args) {
        String name = table.name(nr).orElseThrow();
        StubImpl stub = (StubImpl) platform.attachedThread(Clone.CLONE_FILES, Action.KILL_THREAD);
        try {
            if (name.equals("clone") && args[0] == platform.processCloneFlags()) {
                // A process clone: make the child re-run the stub bootstrap and stop itself
                // (initChildProcessPPID, gVisor's subprocess.createStub in subprocess_linux.go), then kill it and let the stub reap it.
                long child = stub.tracee.owner.call(() -> stub.tracee.inject(nr, args, stub.pid()));
                assertTrue(child > 0, "clone returned " + child);
                assertEquals(child, stub.syscall("wait4", child, 0, Wait.__WALL | Wait.WUNTRACED));
                Sys.kill((int) child, Signals.SIGKILL);
                assertEquals(child, stub.syscall("wait4", child, 0, Wait.__WALL));
            } else {
                long r = stub.syscall(nr, args);
                if (name.equals("clone")) {
                    assertTrue(r > 0, "thread clone returned " + r);
                }
            }
            assertTrue(stub.alive(), name);
        } catch (StubDiedException e) {
            assertNotEquals(Signals.SIGSYS, e.termSignal(), name + " is allowed but: " + e.getMessage());
            assertEquals("exit", name, "only exit may end the stub: " + e.getMessage());
        } finally {
            stub.close();
        }
    }
}
