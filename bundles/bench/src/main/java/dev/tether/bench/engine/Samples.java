package dev.tether.bench.engine;

import java.util.Arrays;
import java.util.Locale;

/** The samples of one operation, in nanoseconds. */
final class Samples {
    /** Upper bound of samples per operation, so that a long run keeps bounded memory. */
    static final int MAX_SAMPLES = 1 << 20;

    long[] v = new long[1024];
    int n;

    void add(long nanos) {
        if (n == v.length) {
            v = Arrays.copyOf(v, n * 2);
        }
        v[n++] = nanos;
    }

    boolean full() {
        return n >= MAX_SAMPLES;
    }

    /** The floor's line format (nearest-rank percentiles), plus p99. */
    String line(String op) {
        long[] s = Arrays.copyOf(v, n);
        Arrays.sort(s);
        return String.format(Locale.ROOT, "op=%s n=%d median_us=%.2f p90_us=%.2f p99_us=%.2f", op, n,
                pct(s, 0.5), pct(s, 0.9), pct(s, 0.99));
    }

    static double pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int k = (int) Math.ceil(p * sorted.length) - 1;
        k = Math.max(0, Math.min(sorted.length - 1, k));
        return sorted[k] / 1000.0;
    }
}
