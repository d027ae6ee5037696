package dev.tether.trap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.linux.Sys;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * GuestPlacement on a real thread (a parked helper thread of this JVM stands in for the guest thread:
 * sched_setaffinity(2) works the same on any thread we may signal) and AdaptiveSpin's switch-off.
 */
class GuestPlacementTest {
    private final CountDownLatch end = new CountDownLatch(1);
    private Thread helper;
    private int tid;
    private long[] usable;

    @BeforeEach
    void helperThread() throws InterruptedException {
        AtomicInteger t = new AtomicInteger();
        CountDownLatch started = new CountDownLatch(1);
        helper = new Thread(() -> {
            t.set(Sys.gettid());
            started.countDown();
            try {
                end.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "placement-helper");
        helper.start();
        started.await();
        tid = t.get();
        usable = Sys.getAffinity(Sys.getpid());
    }

    @AfterEach
    void stopHelper() throws InterruptedException {
        end.countDown();
        helper.join();
    }

    private static long[] only(int cpu, int words) {
        long[] m = new long[words];
        m[cpu >>> 6] = 1L << (cpu & 63);
        return m;
    }

    private int someUsableCpu() {
        for (int i = 0; i < usable.length * 64; i++) {
            if ((usable[i >>> 6] & (1L << (i & 63))) != 0) {
                return i;
            }
        }
        throw new AssertionError("this process may run on no CPU: " + java.util.Arrays.toString(usable));
    }

    @Test
    void togetherBindsTheGuestToTheJavaThreadsCpuOnceForTheSameInputs() {
        int cpu = someUsableCpu();
        GuestPlacement g = new GuestPlacement(usable);
        g.follow(tid, cpu, false);
        assertEquals(GuestPlacement.Mode.TOGETHER, g.mode());
        assertArrayEquals(only(cpu, usable.length), Sys.getAffinity(tid));
        g.follow(tid, cpu, false);
        g.follow(tid, -1, true); // an unbound switch: the guest stays where it is
        assertEquals(1, g.moves(), "the same CPU and way of waiting again: no sched_setaffinity");
        assertArrayEquals(only(cpu, usable.length), Sys.getAffinity(tid));
    }

    @Test
    void apartLetsTheGuestRunAnywhereButTheJavaThreadsCpu() {
        int cpu = someUsableCpu();
        GuestPlacement g = new GuestPlacement(usable);
        g.follow(tid, cpu, true);
        long[] rest = GuestPlacement.without(usable, cpu);
        if (rest == null) {
            // one usable CPU: there is no other, so the guest shares it (the platform does not spin then)
            assertEquals(GuestPlacement.Mode.TOGETHER, g.mode());
            assertArrayEquals(only(cpu, usable.length), Sys.getAffinity(tid));
            return;
        }
        assertEquals(GuestPlacement.Mode.APART, g.mode());
        long[] got = Sys.getAffinity(tid);
        assertEquals(0, got[cpu >>> 6] & (1L << (cpu & 63)), "the Java thread's CPU is left out");
        assertArrayEquals(rest, got);
        g.follow(tid, cpu, false); // spinning turned off: together again
        assertEquals(GuestPlacement.Mode.TOGETHER, g.mode());
        assertArrayEquals(only(cpu, usable.length), Sys.getAffinity(tid));
        assertEquals(2, g.moves());
    }

    @Test
    void withoutRemovesOneCpuAndSaysWhenNoneIsLeft() {
        assertArrayEquals(new long[] {0b101, 0}, GuestPlacement.without(new long[] {0b111, 0}, 1));
        assertArrayEquals(new long[] {0, 1}, GuestPlacement.without(new long[] {0, 0b11}, 65));
        assertNull(GuestPlacement.without(new long[] {0b1000}, 3));
        assertArrayEquals(new long[] {0b1000}, GuestPlacement.without(new long[] {0b1000}, 4000), "a CPU beyond the mask");
    }

    @Test
    void aGuestThreadThatIsGoneOnlyCostsThePlacement() {
        GuestPlacement g = new GuestPlacement(usable);
        g.follow(Integer.MAX_VALUE - 1, someUsableCpu(), false); // ESRCH: swallowed, the switch finds out itself
        assertEquals(1, g.moves());
    }

    private static void missRow(AdaptiveSpin s) {
        for (int i = 0; i < AdaptiveSpin.MISSES; i++) {
            s.missed();
        }
    }

    /** Round trips until spinning is on again. */
    private static int pausedFor(AdaptiveSpin s) {
        int n = 0;
        while (!s.roundTrip()) {
            n++;
            assertTrue(n <= AdaptiveSpin.MAX_PAUSE, "a pause over MAX_PAUSE");
        }
        return n;
    }

    @Test
    void adaptiveSpinPausesAfterMissesInARowLongerWhileTriesFail() {
        AdaptiveSpin s = new AdaptiveSpin(true);
        for (int i = 0; i < AdaptiveSpin.MISSES - 1; i++) {
            s.missed();
        }
        s.hit(); // a hit ends the row
        for (int i = 0; i < AdaptiveSpin.MISSES - 1; i++) {
            s.missed();
        }
        assertTrue(s.on(), "fewer than MISSES in a row");
        s.missed();
        assertFalse(s.on());
        assertEquals(AdaptiveSpin.MIN_PAUSE, pausedFor(s), "the first pause");
        missRow(s); // the try failed at once: twice as long
        assertEquals(2 * AdaptiveSpin.MIN_PAUSE, pausedFor(s));
        for (int i = 0; i < 10; i++) {
            missRow(s);
            pausedFor(s);
        }
        missRow(s);
        assertEquals(AdaptiveSpin.MAX_PAUSE, pausedFor(s), "capped");
        s.hit(); // a try that worked: the next pause is short again
        missRow(s);
        assertEquals(AdaptiveSpin.MIN_PAUSE, pausedFor(s));
        assertFalse(new AdaptiveSpin(false).on(), "no budget: never");
    }
}
