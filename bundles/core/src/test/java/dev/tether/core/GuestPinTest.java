package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.linux.Sys;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The pin of a thread that switches into guest code itself ({@link CallerPin#enterHere}): bound to
 * the CPU it runs on, kept while it keeps switching, its own mask back for one switch in
 * {@link CallerPin#REBALANCE_EVERY}, and at the end.
 */
class GuestPinTest {
    @Test
    void aSwitchingThreadIsBoundKeptAndGivenItsMaskBackNowAndThen() throws Exception {
        long[] own = Sys.getAffinity(0);
        // a keep time no pause of this test comes near: only this test gives the mask back
        PinReleaser releaser = new PinReleaser("test-unpin-guest", TimeUnit.SECONDS.toNanos(60));
        Thread t = new Thread(() -> {
            CallerPin pin = new CallerPin();
            int cpu = pin.enterHere(releaser);
            assertTrue(cpu >= 0, "bound");
            assertTrue(CallerPin.isOnly(Sys.getAffinity(0), cpu), "bound to one CPU, the one it got");
            pin.exit(false, releaser);
            for (int i = 1; i < CallerPin.REBALANCE_EVERY; i++) {
                assertEquals(cpu, pin.enterHere(releaser), "kept, no native call: switch " + i);
                pin.exit(false, releaser);
            }
            assertTrue(CallerPin.isOnly(Sys.getAffinity(0), cpu), "still bound after " + CallerPin.REBALANCE_EVERY + " switches");
            assertEquals(-1, pin.enterHere(releaser), "one switch unbound");
            assertArrayEquals(own, Sys.getAffinity(0), "with the thread's own mask");
            pin.exit(false, releaser);
            int again = pin.enterHere(releaser);
            assertTrue(again >= 0 && CallerPin.isOnly(Sys.getAffinity(0), again), "bound again, where it runs now");
            pin.exit(false, releaser);
            assertEquals(1, releaser.watching());
        });
        Throwable[] failure = new Throwable[1];
        t.setUncaughtExceptionHandler((th, e) -> failure[0] = e);
        t.start();
        t.join();
        releaser.close();
        if (failure[0] != null) {
            throw new AssertionError(failure[0]);
        }
        assertEquals(0, releaser.watching(), "given back when the releaser closed");
    }
}
