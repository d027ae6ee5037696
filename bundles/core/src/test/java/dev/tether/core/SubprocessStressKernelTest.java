package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tether.api.FailureMode;
import dev.tether.api.Subprocess;
import dev.tether.api.TetherException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Stress: 2 threads x 2,000 acquire/inject/release cycles and 20,000 injections leak nothing
 * (stub processes, zombies, the JVM's fds and threads are the same before and after), and a
 * platform shut down while its subprocesses are in use leaves no process behind.
 */
@ExtendWith(NoLeftoverProcesses.class)
class SubprocessStressKernelTest {
    static final int THREADS = 2;
    static final int CYCLES = 2_000;
    static final int INJECTIONS = 10_000; // per thread: 20,000 in all

    /** What must not grow: stub processes, zombies among them, the JVM's fds and threads. */
    record Census(int stubProcesses, int zombies, int jvmFds, int jvmThreads) {
    }

    static int count(Path dir) throws IOException {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            int n = 0;
            for (Path ignored : s) {
                n++;
            }
            return n;
        }
    }

    /** Processes under seccomp that descend from this JVM (the master, subprocesses), and zombies among them. */
    static Census census() throws IOException {
        long self = ProcessHandle.current().pid();
        int stubs = 0;
        int zombies = 0;
        for (ProcessHandle p : ProcessHandle.current().descendants().toList()) {
            String status;
            try {
                status = Files.readString(Path.of("/proc/" + p.pid() + "/status"));
            } catch (IOException e) {
                continue;
            }
            if (NoLeftoverProcesses.field(status, "State").startsWith("Z")) {
                zombies++;
            } else if (NoLeftoverProcesses.field(status, "Seccomp").equals("2")) {
                stubs++;
            }
        }
        assertTrue(self > 0);
        return new Census(stubs, zombies, count(Path.of("/proc/self/fd")), count(Path.of("/proc/self/task")));
    }

    /** Runs {@code work} on THREADS long-lived threads and waits; the threads end only after {@code release}. */
    static List<Thread> run(List<Throwable> errors, CountDownLatch release, CyclicBarrier done, WorkerBody work) {
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < THREADS; i++) {
            int k = i;
            Thread t = new Thread(() -> {
                try {
                    work.run(k);
                } catch (Throwable e) {
                    synchronized (errors) {
                        errors.add(e);
                    }
                }
                try {
                    done.await();
                    release.await(); // a tracer must outlive its stub threads (EXITKILL)
                } catch (Exception e) {
                    Thread.currentThread().interrupt();
                }
            }, "stress-" + i);
            ts.add(t);
            t.start();
        }
        return ts;
    }

    interface WorkerBody {
        void run(int index) throws Exception;
    }

    @Test
    void thousandsOfCyclesLeakNothing() throws Exception {
        StubPlatformImpl platform = TestArch.platform(new Settings(FailureMode.CONTAINED, 2, 4, 0));
        CountDownLatch release = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        try {
            List<Throwable> errors = new ArrayList<>();
            // Warm-up: both threads cycle a while, so the pool, the subprocesses' stub threads
            // (one per caller) and every lazily created buffer reach their steady state.
            CyclicBarrier warm = new CyclicBarrier(THREADS + 1);
            CyclicBarrier go = new CyclicBarrier(THREADS + 1);
            CyclicBarrier done = new CyclicBarrier(THREADS + 1);
            workers.addAll(run(errors, release, done, k -> {
                long[] ownMask = dev.tether.linux.Sys.getAffinity(0);
                for (int i = 0; i < 200; i++) {
                    cycle(platform);
                }
                warm.await();
                go.await(); // the census is taken in between
                for (int i = 0; i < CYCLES; i++) {
                    cycle(platform);
                }
                try (Subprocess s = platform.newSubprocess()) {
                    for (int i = 0; i < INJECTIONS; i++) {
                        assertEquals(s.pid(), s.syscall("getpid"));
                    }
                }
                // bound to a tracer's CPU while it hands work over, its own mask back once quiet (CallerPin)
                Waits.maskBecomes(ownMask);
                assertArrayEquals(ownMask, dev.tether.linux.Sys.getAffinity(0), "the caller's own CPU mask is given back");
            }));
            warm.await(60, TimeUnit.SECONDS);
            Census before = census();
            go.await(60, TimeUnit.SECONDS);
            done.await(300, TimeUnit.SECONDS);
            assertEquals(List.of(), errors);
            Census after = census();
            assertEquals(before, after, "no leak across " + THREADS * CYCLES + " cycles and " + THREADS * INJECTIONS + " injections");
            assertTrue(before.stubProcesses() >= 2, "the master and pooled subprocesses are counted: " + before);
            assertEquals(0, after.zombies());
        } finally {
            platform.close();
            release.countDown();
            for (Thread t : workers) {
                t.join();
            }
        }
        assertEquals(0, census().stubProcesses(), "closing the platform kills every stub");
    }

    private static void cycle(StubPlatformImpl platform) {
        Subprocess s = platform.newSubprocess();
        assertEquals(s.pid(), s.syscall("getpid"));
        s.close();
    }

    @Test
    void shuttingDownWithSubprocessesInUseLeavesNoProcess() throws Exception {
        StubPlatformImpl platform = TestArch.platform(new Settings(FailureMode.CONTAINED, 2, 4, 0));
        CountDownLatch inUse = new CountDownLatch(THREADS);
        CountDownLatch closed = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CyclicBarrier done = new CyclicBarrier(THREADS + 1);
        List<Throwable> errors = new ArrayList<>();
        List<String> after = new ArrayList<>();
        List<Thread> workers = run(errors, release, done, k -> {
            Subprocess s = platform.newSubprocess();
            assertEquals(s.pid(), s.syscall("getpid"));
            inUse.countDown();
            closed.await();
            try {
                s.syscall("getpid");
                synchronized (after) {
                    after.add("injection after shutdown succeeded");
                }
            } catch (TetherException e) {
                synchronized (after) {
                    after.add(e.getClass().getSimpleName());
                }
            }
        });
        if (!inUse.await(60, TimeUnit.SECONDS)) {
            platform.close();
            closed.countDown();
            release.countDown();
            fail("not every worker got a subprocess in use; errors: " + errors);
        }
        platform.close();
        assertEquals(0, census().stubProcesses(), "no stub survives the shutdown");
        closed.countDown();
        done.await(60, TimeUnit.SECONDS);
        release.countDown();
        for (Thread t : workers) {
            t.join();
        }
        assertEquals(List.of(), errors);
        assertEquals(THREADS, after.size());
        assertFalse(after.contains("injection after shutdown succeeded"), after.toString());
        assertTrue(NoLeftoverProcesses.leftovers().isEmpty(), NoLeftoverProcesses.leftovers().toString());
    }
}
