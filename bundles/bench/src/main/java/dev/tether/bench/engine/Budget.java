package dev.tether.bench.engine;

/** A time budget: warm-up first (not recorded), then {@code seconds} of samples. */
final class Budget {
    private final long warmEnd;
    private final long end;

    Budget(double seconds) {
        long now = System.nanoTime();
        long warm = (long) (Math.max(0.2, seconds * 0.1) * 1e9);
        warmEnd = now + warm;
        end = warmEnd + (long) (seconds * 1e9);
    }

    boolean warming() {
        return System.nanoTime() < warmEnd;
    }

    /** Adds {@code nanos} to {@code s} unless still warming up. */
    void record(Samples s, long nanos) {
        if (!warming()) {
            s.add(nanos);
        }
    }

    boolean more(Samples s) {
        return System.nanoTime() < end && !s.full();
    }
}
