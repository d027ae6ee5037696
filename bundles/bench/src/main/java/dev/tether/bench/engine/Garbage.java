package dev.tether.bench.engine;

import java.util.concurrent.TimeUnit;

/**
 * A thread allocating short-lived garbage as fast as it can (plus a small churning live set,
 * so that collections have some copying to do), for the tail latency of injection under GC.
 */
final class Garbage {
    private volatile boolean stop;
    volatile long allocated;
    private final Thread thread;

    Garbage() {
        thread = new Thread(this::run, "tether-bench-garbage");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        Object[] live = new Object[4096];
        java.util.SplittableRandom r = new java.util.SplittableRandom(1);
        long bytes = 0;
        int i = 0;
        while (!stop) {
            byte[] b = new byte[64 + r.nextInt(4096)];
            b[0] = (byte) i;
            bytes += b.length;
            if ((i & 15) == 0) {
                live[r.nextInt(live.length)] = b; // survives a while
            }
            if ((++i & 0xffff) == 0) {
                allocated = bytes;
            }
        }
        allocated = bytes;
    }

    void stop() throws InterruptedException {
        stop = true;
        thread.join(TimeUnit.SECONDS.toMillis(10));
    }
}
