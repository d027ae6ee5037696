package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tether.abi.Clone;
import dev.tether.abi.Signals;
import dev.tether.api.FailureMode;
import dev.tether.api.PlatformClosedException;
import dev.tether.api.Stub;
import dev.tether.api.StubDiedException;
import dev.tether.api.Subprocess;
import dev.tether.api.TetherException;
import dev.tether.linux.Sys;
import dev.tether.seccomp.Action;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every way a stub can die or be misused that once hung, leaked or gave an untyped error: each
 * test reproduces one of them for real (a process killed from outside, a calling thread that
 * exits, a master that dies, a close racing an injection) and bounds every wait, so that a
 * regression is a failure, never a hung build.
 */
@ExtendWith(NoLeftoverProcesses.class)
class FailurePathsKernelTest {
    /** Bound for anything that must not hang; generous, because CI machines are slow. */
    private static final long BOUND_S = 30;

    private static StubPlatformImpl platform(int pool) {
        return TestArch.platform(new Settings(FailureMode.CONTAINED, 2, pool, 0));
    }

    /** Runs {@code work} on another thread and fails (instead of hanging) if it takes longer than the bound. */
    private static <T> T bounded(String what, java.util.concurrent.Callable<T> work) throws Exception {
        ExecutorService ex = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "bounded " + what);
            t.setDaemon(true);
            return t;
        });
        try {
            Future<T> f = ex.submit(work);
            try {
                return f.get(BOUND_S, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                fail(what + " did not finish within " + BOUND_S + " s (hung)");
                return null;
            } catch (java.util.concurrent.ExecutionException e) {
                if (e.getCause() instanceof Exception) {
                    throw (Exception) e.getCause();
                }
                throw e;
            }
        } finally {
            ex.shutdown();
        }
    }

    private static boolean gone(int pid) {
        return !Files.exists(Path.of("/proc/" + pid));
    }

    /** A thread that takes a stub thread in {@code s} and then stays alive, idle, until released. */
    private static final class IdleCaller implements AutoCloseable {
        final CountDownLatch used = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final Thread thread;

        IdleCaller(Subprocess s) throws InterruptedException {
            thread = new Thread(() -> {
                s.syscall("getpid");
                used.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "idle caller");
            thread.start();
            assertTrue(used.await(BOUND_S, TimeUnit.SECONDS), "the idle caller injected");
        }

        @Override
        public void close() throws InterruptedException {
            release.countDown();
            thread.join();
        }
    }

    // -------------------------------------------------------------- deaths nobody saw

    @Test
    void aSubprocessKilledFromOutsideWithAnIdleSiblingTracerClosesWithoutDeadlock() throws Exception {
        StubPlatformImpl p = platform(4);
        try {
            Subprocess s = p.newSubprocess();
            int pid = s.pid();
            s.syscall("getpid");
            try (IdleCaller other = new IdleCaller(s)) {
                Sys.kill(pid, Signals.SIGKILL); // from outside: Tether does not know
                // close() releases it to the pool: its unmap runs into the dead leader, whose
                // zombie cannot be reaped while the idle caller's stub thread is an unreaped zombie
                bounded("close of a subprocess killed from outside", () -> {
                    try {
                        s.close();
                    } catch (StubDiedException expected) {
                        // a typed error is fine; a hang is not
                    }
                    return null;
                });
                assertFalse(s.alive());
                assertTrue(Waits.until(() -> gone(pid)), "the dead subprocess is reaped");
                // the platform goes on
                try (Subprocess t = p.newSubprocess()) {
                    assertEquals(t.pid(), t.syscall("getpid"));
                }
            }
        } finally {
            bounded("platform close", () -> {
                p.close();
                return null;
            });
        }
    }

    @Test
    void aPooledSubprocessKilledByItsCallersExitIsNotHandedOut() throws Exception {
        StubPlatformImpl p = platform(4);
        try {
            AtomicReference<Integer> pid = new AtomicReference<>();
            // a short-lived thread (a thread pool's worker) uses a subprocess, returns it to the
            // pool and ends: EXITKILL then kills its stub thread, and with it the whole process
            Thread worker = new Thread(() -> {
                Subprocess s = p.newSubprocess();
                pid.set(s.pid());
                s.syscall("getpid");
                s.close();
            });
            worker.start();
            worker.join();
            // its threads but the leader (held in its PTRACE_EVENT_EXIT stop) are gone
            assertTrue(Waits.until(() -> taskCount(pid.get()) <= 1), "the worker's exit killed the pooled subprocess");
            Subprocess next = bounded("newSubprocess", p::newSubprocess);
            assertNotEquals(pid.get(), next.pid(), "a dead pooled subprocess is not handed out");
            assertEquals(next.pid(), next.syscall("getpid"));
            next.close();
            assertTrue(Waits.until(() -> gone(pid.get())), "the dead pooled subprocess was reaped");
        } finally {
            p.close();
        }
    }

    @Test
    void aPooledSubprocessKilledFromOutsideIsNotHandedOut() throws Exception {
        StubPlatformImpl p = platform(4);
        try {
            Subprocess s = p.newSubprocess();
            int pid = s.pid();
            s.syscall("getpid");
            s.close();
            Sys.kill(pid, Signals.SIGKILL);
            // the kill takes effect asynchronously: wait until this thread's stub thread in it is
            // a zombie (a kill racing newSubprocess can only be noticed at the next syscall)
            assertTrue(Waits.until(() -> anyZombie(pid)), "the kill took effect");
            Subprocess next = bounded("newSubprocess", p::newSubprocess);
            assertNotEquals(pid, next.pid());
            assertEquals(next.pid(), next.syscall("getpid"));
            next.close();
            assertTrue(Waits.until(() -> gone(pid)), "reaped");
        } finally {
            p.close();
        }
    }

    @Test
    void aDeathSeenByAnInjectionIsReapedAtOnce() throws Exception {
        StubPlatformImpl p = platform(4);
        try {
            Subprocess s = p.newSubprocess();
            int pid = s.pid();
            s.syscall("getpid");
            Sys.kill(pid, Signals.SIGKILL);
            StubDiedException seen = assertThrows(StubDiedException.class, () -> s.syscall("getpid"));
            assertEquals(Signals.SIGKILL, seen.termSignal(), seen.getMessage());
            StubDiedException again = assertThrows(StubDiedException.class, () -> s.syscall("getpid"));
            assertEquals(Signals.SIGKILL, again.termSignal(), "a dead subprocess keeps reporting the same death: " + again.getMessage());
            assertTrue(Waits.until(() -> gone(pid)), "reaped as soon as the death was seen, not at platform close");
            assertFalse(p.subprocesses().contains(s), "and forgotten");
            s.close(); // nothing left to do, no error
        } finally {
            p.close();
        }
    }

    // -------------------------------------------------------------- the master

    @Test
    void aDeadMasterIsRecreatedAndCounted() throws Exception {
        StubPlatformImpl p = platform(0);
        PlatformMetrics metrics = new PlatformMetrics(new PlatformStatus());
        p.setListener(metrics);
        try {
            Subprocess before = p.newSubprocess();
            int oldMaster = p.master().pid();
            Sys.kill(oldMaster, Signals.SIGKILL);
            // the next fork finds the master dead: it is replaced, and the fork succeeds
            Subprocess after = bounded("fork after the master died", p::newSubprocess);
            assertEquals(after.pid(), after.syscall("getpid"));
            int newMaster = p.master().pid();
            assertNotEquals(oldMaster, newMaster);
            assertEquals(newMaster, after.syscall("getppid"));
            assertEquals(1, metrics.getMasterRestarts(), "counted");
            assertTrue(Waits.until(() -> gone(oldMaster)), "the old master was reaped");
            // the subprocesses of the old master died with it (PDEATHSIG): a typed error
            assertThrows(StubDiedException.class, () -> before.syscall("getpid"));
            after.close();
        } finally {
            p.close();
        }
    }

    // -------------------------------------------------------------- host stubs, forks

    @Test
    void hostStubsHoldOnlyTheStubPageNotACopyOfTheJvm() throws Exception {
        StubPlatformImpl p = platform(0);
        try (Stub a = p.createStub(); Stub b = p.attachedThread(Clone.CLONE_FILES, Action.KILL_THREAD)) {
            for (Stub s : List.of(a, b)) {
                List<String> maps = SubprocessKernelTest.maps(s.pid());
                assertEquals(1, maps.size(), "only the stub page: " + maps);
                assertTrue(maps.get(0).startsWith(String.format("%x-", p.facts().stubAddress())), maps.toString());
                assertEquals(s.pid(), s.syscall("getpid"), "and it still works");
            }
        } finally {
            p.close();
        }
    }

    @Test
    void aForkWhoseChildDiesBeforeItsAttachLeavesNothingBehind() throws Exception {
        StubPlatformImpl p = platform(0);
        try {
            p.master();
            List<Integer> victims = new java.util.concurrent.CopyOnWriteArrayList<>();
            p.afterForkClone = pid -> {
                victims.add(pid);
                Sys.kill(pid, Signals.SIGKILL);
            };
            TetherException e = assertThrows(TetherException.class, p::forkSubprocess);
            assertTrue(e.getMessage().contains(Integer.toString(victims.get(0))) || e instanceof StubDiedException
                    || e.getMessage().contains("attach"), e.toString());
            assertTrue(Waits.until(() -> gone(victims.get(0))), "the child was reaped through the master");
            p.afterForkClone = null;
            try (Subprocess s = p.newSubprocess()) {
                assertEquals(s.pid(), s.syscall("getpid"), "the master goes on");
            }
        } finally {
            p.close();
        }
    }

    // -------------------------------------------------------------- bad flags, races

    @Test
    void unsafeCloneFlagsAreRefusedAndNothingIsCreated() throws Exception {
        StubPlatformImpl p = platform(0);
        try {
            long[] unsafe = {
                Clone.CLONE_VM | Clone.CLONE_SIGHAND, // its signal reset would reset the JVM's handlers
                Clone.CLONE_VM, // the JVM's memory
                Clone.CLONE_VFORK, // the tracer would block forever
                Clone.CLONE_THREAD | Clone.CLONE_SIGHAND | Clone.CLONE_VM,
                Clone.CLONE_PTRACE | Clone.CLONE_FILES,
                Clone.CLONE_FILES | 65, // not a signal
            };
            for (long flags : unsafe) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> p.attachedThread(flags, Action.KILL_THREAD), String.format("flags 0x%x", flags));
                assertTrue(e.getMessage().contains(String.format("0x%x", flags)), e.getMessage());
            }
            assertTrue(p.stubs().isEmpty());
            assertTrue(NoLeftoverProcesses.leftovers().isEmpty(), "nothing was cloned");
            try (Stub ok = p.attachedThread(Clone.CLONE_FILES, Action.KILL_THREAD)) {
                assertEquals(ok.pid(), ok.syscall("getpid"));
            }
        } finally {
            p.close();
        }
    }

    @Test
    void aCloseRacingInjectionsGivesOnlyTypedErrors() throws Exception {
        for (int round = 0; round < 5; round++) {
            StubPlatformImpl p = platform(2);
            Subprocess s = p.newSubprocess();
            AtomicBoolean stop = new AtomicBoolean();
            List<Throwable> wrong = java.util.Collections.synchronizedList(new ArrayList<>());
            CountDownLatch started = new CountDownLatch(3);
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Thread t = new Thread(() -> {
                    started.countDown();
                    try {
                        while (!stop.get()) {
                            s.syscall("getpid");
                        }
                    } catch (PlatformClosedException | StubDiedException expected) {
                        // typed
                    } catch (Throwable e) {
                        wrong.add(e);
                    }
                });
                threads.add(t);
                t.start();
            }
            started.await();
            Thread.sleep(5);
            bounded("close while injecting", () -> {
                p.close();
                return null;
            });
            stop.set(true);
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(BOUND_S));
                assertFalse(t.isAlive(), "an injecting thread hung after close");
            }
            if (!wrong.isEmpty()) {
                TetherException first = new TetherException("round " + round + ": " + wrong.size() + " untyped errors", wrong.get(0));
                throw first;
            }
        }
    }

    // -------------------------------------------------------------- from the console

    @Test
    void aStubThreadTetherDoesNotKnowDoesNotHangTheTeardown() throws Exception {
        StubPlatformImpl p = platform(0);
        try {
            Subprocess s = p.newSubprocess();
            int pid = s.pid();
            // clone a thread with the stub-thread flags (the stub policy allows them): traced by
            // this thread, unknown to Tether
            long tid = s.syscall("clone", Clone.STUB_THREAD_FLAGS, 0, 0, 0, 0, 0);
            assertTrue(tid > 0, "clone returned " + tid);
            bounded("destroy with an unknown stub thread", () -> {
                s.destroy();
                return null;
            });
            assertTrue(Waits.until(() -> gone(pid)), "the whole thread group was reaped");
            try (Subprocess t = bounded("newSubprocess after", p::newSubprocess)) {
                assertEquals(t.pid(), t.syscall("getpid"), "the tracers are not stuck");
            }
        } finally {
            bounded("platform close", () -> {
                p.close();
                return null;
            });
        }
    }

    @Test
    void aLoneSigcontDoesNotKillASubprocess() throws Exception {
        StubPlatformImpl p = platform(0);
        try (Subprocess s = p.newSubprocess()) {
            s.syscall("getpid"); // prepares a spare stub thread for the next caller
            assertTrue(Waits.until(() -> taskCount(s.pid()) >= 3), "the spare stub thread is there");
            Sys.kill(s.pid(), Signals.SIGCONT);
            Thread.sleep(50);
            assertTrue(s.alive() && !gone(s.pid()), "alive after SIGCONT");
            // another thread takes the spare (and stays alive: when a caller thread ends,
            // EXITKILL kills its stub thread and with it the process)
            try (IdleCaller other = new IdleCaller(s)) {
                assertTrue(s.alive());
                assertEquals(s.pid(), s.syscall("getpid"));
            }
        } finally {
            p.close();
        }
    }

    @Test
    void argumentsNotGivenAreZero() throws Exception {
        StubPlatformImpl p = platform(0);
        try (Subprocess s = p.newSubprocess(); Stub stub = p.createStub()) {
            s.syscall("getpid");
            check(s.registers());
            stub.syscall("getpid");
            check(stub.registers());
        } finally {
            p.close();
        }
    }

    private static void check(dev.tether.api.Registers r) {
        var layout = TestArch.layout();
        // the kernel keeps argument registers 1..5 across a syscall on both arches (arg 0 is
        // x0 on arm64, the return value): they hold what the injection put there
        for (int i = 1; i < 6; i++) {
            assertEquals(0, r.get(layout.argumentIndex(i)), "argument " + i + " of an injection without it: " + r);
        }
    }

    private static boolean anyZombie(int pid) {
        String[] tasks = new java.io.File("/proc/" + pid + "/task").list();
        if (tasks == null) {
            return true;
        }
        for (String t : tasks) {
            try {
                String st = Files.readString(Path.of("/proc/" + pid + "/task/" + t + "/stat"));
                if (st.substring(st.lastIndexOf(')') + 2).startsWith("Z")) {
                    return true;
                }
            } catch (java.io.IOException e) {
                return true; // gone meanwhile
            }
        }
        return false;
    }

    private static int taskCount(int pid) {
        String[] tasks = new java.io.File("/proc/" + pid + "/task").list();
        return tasks == null ? 0 : tasks.length;
    }

}
