package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.api.PlatformClosedException;
import dev.tether.api.TetherException;
import dev.tether.linux.Sys;
import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The hand-off to a tracer thread: results and errors, interrupts, stop, background work, and
 * the caller's CPU binding (CallerPin): kept right after a call, given back by the releaser
 * once the caller has been quiet, at once when the releaser closes, and never over a mask the
 * caller set itself.
 */
class TracerThreadTest {
    private long[] ownMask;
    private PinReleaser releaser;
    private TracerThread tracer;

    @BeforeEach
    void start() {
        ownMask = Sys.getAffinity(0);
        releaser = new PinReleaser("test-unpin");
        tracer = new TracerThread("test-tracer", releaser);
    }

    @AfterEach
    void stop() throws Exception {
        tracer.stop();
        tracer.join();
        releaser.close();
        long[] after = Sys.getAffinity(0);
        Sys.setAffinity(0, ownMask); // whatever a failed test left
        assertArrayEquals(ownMask, after, "the test thread has its own mask back once the platform is closed");
    }

    @Test
    void aCallRunsOnTheTracerAndReturnsItsResult() {
        int[] where = new int[1];
        assertEquals("done", tracer.call(() -> {
            where[0] = Sys.gettid();
            return "done";
        }));
        assertEquals(tracer.tid(), where[0]);
        assertTrue(tracer.call(tracer::isCurrent));
        assertEquals(7, (int) tracer.call(() -> tracer.call(() -> 7)), "a call from the tracer itself runs directly");
    }

    @Test
    void errorsReachTheCallerUnchanged() {
        IllegalStateException runtime = new IllegalStateException("boom");
        assertSame(runtime, assertThrows(IllegalStateException.class, () -> tracer.call(() -> {
            throw runtime;
        })));
        AssertionError error = new AssertionError("bad");
        assertSame(error, assertThrows(AssertionError.class, () -> tracer.call(() -> {
            throw error;
        })));
        IOException checked = new IOException("io");
        TetherException wrapped = assertThrows(TetherException.class, () -> tracer.call(() -> {
            throw checked;
        }));
        assertSame(checked, wrapped.getCause());
        assertEquals(1, (int) tracer.call(() -> 1), "the tracer outlives the errors of its calls");
    }

    @Test
    void anInterruptedCallerGetsItsResultAndKeepsTheInterrupt() {
        Thread.currentThread().interrupt();
        try {
            assertEquals(42, (int) tracer.call(() -> {
                Thread.sleep(20);
                return 42;
            }));
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt is kept for the caller");
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void backgroundWorkRunsInOrderAndItsFailuresAreLoggedNotFatal() throws Exception {
        AtomicInteger order = new AtomicInteger();
        CountDownLatch ran = new CountDownLatch(1);
        assertTrue(tracer.post(() -> {
            throw new IllegalStateException("background failure (expected by the test)");
        }));
        assertTrue(tracer.post(() -> {
            order.compareAndSet(0, 1);
            ran.countDown();
        }));
        assertTrue(ran.await(5, TimeUnit.SECONDS));
        assertEquals(1, order.get());
        assertEquals(2, (int) tracer.call(() -> order.incrementAndGet()), "calls queue behind posted work");
    }

    @Test
    void aStoppedTracerRefusesNewWork() throws Exception {
        tracer.stop();
        tracer.join();
        PlatformClosedException e = assertThrows(PlatformClosedException.class, () -> tracer.call(() -> 1));
        assertTrue(e.getMessage().contains("test-tracer"), e.getMessage());
        assertFalse(tracer.post(() -> { }));
    }

    @Test
    void theCallerStaysBoundAfterACallAndGetsItsOwnMaskBackOnceQuiet() throws Exception {
        // a keep time no pause of this test comes near (JIT, GC), then the default millisecond
        PinReleaser slow = new PinReleaser("test-unpin-slow", TimeUnit.SECONDS.toNanos(60));
        TracerThread t = new TracerThread("test-tracer-slow", slow);
        try {
            t.call(() -> null);
            int cpu = Sys.currentCpu();
            assertTrue(CallerPin.isOnly(Sys.getAffinity(0), cpu), "bound to the tracer's CPU right after the call");
            assertEquals(1, slow.watching());
            for (int i = 0; i < 100; i++) {
                t.call(() -> null);
            }
            assertTrue(CallerPin.isOnly(Sys.getAffinity(0), cpu), "still bound, to the same CPU, after calls in a row");
        } finally {
            t.stop();
            t.join();
            slow.close();
        }
        assertArrayEquals(ownMask, Sys.getAffinity(0), "given back when the releaser closes");
        assertEquals(0, slow.watching());

        tracer.call(() -> null);
        assertTrue(Waits.maskBecomes(ownMask), "own mask back after a quiet millisecond");
        assertTrue(Waits.until(() -> releaser.watching() == 0), "the releaser forgets a caller it gave back");
    }

    @Test
    void aMaskTheCallerSetsItselfStays() throws Exception {
        tracer.call(() -> null);
        int cpu = Sys.currentCpu(); // bound there, unless a pause over a millisecond let the releaser in
        // Another CPU of ours if there is one (then surely not the binding); on one CPU the same.
        int other = cpu;
        for (int c = 0; c < ownMask.length * 64; c++) {
            if (c != cpu && (ownMask[c >>> 6] & (1L << (c & 63))) != 0) {
                other = c;
                break;
            }
        }
        Sys.bindToCpu(0, other);
        long[] mine = Sys.getAffinity(0);
        Thread.sleep(20); // well past the releaser's millisecond
        assertArrayEquals(other != cpu ? mine : ownMask, Sys.getAffinity(0),
                "a mask the thread set itself is not overwritten (on one CPU it cannot be told from ours)");
        // and its next call binds it again and gives that mask back, not the one from before
        tracer.call(() -> null);
        assertTrue(Waits.maskBecomes(mine), "the thread's latest own mask is the one given back");
        Sys.setAffinity(0, ownMask); // the test's own change, undone
    }

    @Test
    void aCallThatEndsAfterTheReleaserClosedGivesTheBindingBackItself() {
        CallerPin pin = new CallerPin();
        PinReleaser closing = new PinReleaser("test-unpin-closing");
        int cpu = Sys.currentCpu();
        assertTrue(pin.enter(cpu, closing));
        assertTrue(CallerPin.isOnly(Sys.getAffinity(0), cpu));
        closing.close(); // its last sweep passes over a pin that is in a call
        assertTrue(CallerPin.isOnly(Sys.getAffinity(0), cpu));
        pin.exit(false, closing);
        assertArrayEquals(ownMask, Sys.getAffinity(0), "given back by the thread itself, not left bound");
    }

    @Test
    void aCallerThatEndsWhileBoundIsForgotten() throws Exception {
        Thread t = new Thread(() -> tracer.call(() -> null), "short-lived caller");
        t.start();
        t.join();
        assertTrue(Waits.until(() -> releaser.watching() == 0), "the releaser drops a thread that ended");
        assertEquals(1, (int) tracer.call(() -> 1));
    }

    @Test
    void withoutAReleaserEachCallGivesTheBindingBack() throws Exception {
        TracerThread plain = new TracerThread("test-plain");
        try {
            plain.call(() -> null);
            assertArrayEquals(ownMask, Sys.getAffinity(0));
        } finally {
            plain.stop();
            plain.join();
        }
    }
}
