package dev.tether.core;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Polling for tests: conditions that another thread makes true a little later. */
final class Waits {
    private Waits() {
    }

    /** Polls {@code condition} every millisecond for up to 5 s; returns whether it became true. */
    static boolean until(BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                return false;
            }
            Thread.sleep(1);
        }
        return true;
    }

    /** Waits for the calling thread's CPU affinity mask to become {@code want}. */
    static boolean maskBecomes(long[] want) throws InterruptedException {
        return until(() -> java.util.Arrays.equals(dev.tether.linux.Sys.getAffinity(0), want));
    }
}
