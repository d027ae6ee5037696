package dev.tether.bench.engine;

import dev.tether.api.StubPlatform;
import dev.tether.api.Subprocess;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.BlockingQueue;

/** The {@code pool_acquire} op: acquisitions served by the platform's pre-forked pool. */
final class PoolAcquire {
    private final StubPlatform p;
    private final double seconds;
    private final BlockingQueue<String> out;

    PoolAcquire(StubPlatform p, double seconds, BlockingQueue<String> out) {
        this.p = p;
        this.seconds = seconds;
        this.out = out;
    }

    /**
     * Acquisitions served by the pool; an acquisition of a pid that was not pooled before the
     * call was a fresh fork (a miss) and is counted, not recorded.
     */
    void run(Samples s) throws InterruptedException {
        Set<Integer> before = pids();
        Subprocess probe = p.newSubprocess();
        boolean hit = before.contains(probe.pid());
        probe.destroy();
        // Without pre-forking nothing appears in the pool by itself.
        if (!hit && !awaitPool(before.size() + 1, 2_000)) {
            out.add("# pool_acquire: skipped: the platform's pool is not pre-forking (newSubprocess forked a fresh"
                    + " subprocess and none appeared in the pool within 2 s); configure prefork > 0"
                    + " (Settings.prefork, or the dev.tether.core configuration property prefork)");
            return;
        }
        // Acquire and destroy in a loop, as a user of the pool would; the pre-forker refills
        // the pool in the background (in batches: see SubprocessPool.refillAfterHit in core).
        awaitPool(p.subprocesses().size() + 1, 1_000);
        int misses = 0;
        Budget b = new Budget(seconds);
        while (b.more(s)) {
            Set<Integer> pooled = pids();
            long t0 = System.nanoTime();
            Subprocess sp = p.newSubprocess();
            long d = System.nanoTime() - t0;
            boolean fromPool = pooled.contains(sp.pid());
            sp.destroy();
            if (fromPool) {
                b.record(s, d);
            } else if (!b.warming()) {
                misses++;
            }
        }
        out.add("# pool_acquire: " + s.n + " acquisitions from the pool, " + misses
                + " misses (the pool was empty: forked on the caller's path), not recorded");
    }

    private Set<Integer> pids() {
        Set<Integer> set = new HashSet<>();
        for (Subprocess sp : p.subprocesses()) {
            set.add(sp.pid());
        }
        return set;
    }

    /** Waits until the platform has {@code count} subprocesses (the pre-forker's refill). */
    private boolean awaitPool(int count, long millis) {
        long end = System.nanoTime() + millis * 1_000_000L;
        while (System.nanoTime() < end) {
            if (p.subprocesses().size() >= count) {
                return true;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(50_000);
        }
        return false;
    }
}
