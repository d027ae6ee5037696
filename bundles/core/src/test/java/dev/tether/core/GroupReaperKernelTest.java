package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link GroupReaper#awaitExit}, the bounded wait a dying stub's tracer uses before it reaps it
 * (it replaced a fixed number of yields, which a loaded machine outlasted): it returns as soon as
 * the kernel reports the exit, and no later than its deadline when there is none. Checked on a
 * plain child process ({@code sleep}), since a pidfd works for any process, traced or not.
 */
@ExtendWith(NoLeftoverProcesses.class)
class GroupReaperKernelTest {
    @Test
    void awaitExitReturnsAtTheExitAndGivesUpAtItsDeadline() throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "600").start();
        int pid = (int) sleeper.pid();
        try {
            long t0 = System.nanoTime();
            assertFalse(GroupReaper.awaitExit(pid, pid, t0 + TimeUnit.MILLISECONDS.toNanos(50)),
                    "a live process has not exited");
            long waited = System.nanoTime() - t0;
            assertTrue(waited >= TimeUnit.MILLISECONDS.toNanos(50), "it waited until the deadline: " + waited + " ns");
            assertTrue(waited < TimeUnit.SECONDS.toNanos(5), "and not much longer: " + waited + " ns");

            sleeper.destroyForcibly(); // SIGKILL
            long t1 = System.nanoTime();
            assertTrue(GroupReaper.awaitExit(pid, pid, t1 + TimeUnit.SECONDS.toNanos(30)), "the exit is reported");
            long took = System.nanoTime() - t1;
            // the exit, not the deadline, ended the wait (30 s away; a killed process exits in microseconds)
            assertTrue(took < TimeUnit.SECONDS.toNanos(10), "it returned at the exit: " + took + " ns");
        } finally {
            sleeper.destroyForcibly();
            assertTrue(sleeper.waitFor(30, TimeUnit.SECONDS), "sleep was reaped");
        }
    }

    @Test
    void aLeaderWithOtherThreadsIsGivenUpOnAtOnce() {
        // this JVM: a live leader with many threads. A dying leader with threads left waits for
        // others to reap them (its callers or the teardown), so the wait does not sit out its bound.
        int self = (int) ProcessHandle.current().pid();
        long t0 = System.nanoTime();
        assertFalse(GroupReaper.awaitExit(self, self, t0 + TimeUnit.SECONDS.toNanos(30)));
        long took = System.nanoTime() - t0;
        assertTrue(took < TimeUnit.SECONDS.toNanos(5), "given up after the first poll, not at the deadline: " + took + " ns");
    }

    @Test
    void awaitExitOfAProcessThatIsGoneReturnsAtOnce() throws Exception {
        Process p = new ProcessBuilder("true").start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        int pid = (int) p.pid();
        // reaped: pidfd_open says ESRCH (unless the pid was reused meanwhile, which would then be
        // a live process and time out: the deadline below keeps that from hanging)
        long t0 = System.nanoTime();
        boolean r = GroupReaper.awaitExit(pid, pid, t0 + TimeUnit.MILLISECONDS.toNanos(200));
        assertTrue(r || new java.io.File("/proc/" + pid).exists(), "a reaped process counts as exited");
    }
}
