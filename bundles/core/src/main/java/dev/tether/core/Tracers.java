package dev.tether.core;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The platform's tracer threads ({@link TracerThread}), which own every stub made from the JVM,
 * every subprocess's first thread and the master, plus the {@link PinReleaser} that gives their
 * callers' CPU bindings back. Stubs are spread over them round-robin; tracer 0 also owns the
 * master stub.
 */
final class Tracers {
    private final List<TracerThread> threads = new ArrayList<>();
    private final PinReleaser pinReleaser;
    private final AtomicInteger next = new AtomicInteger();

    /** Starts {@code count} tracer threads and the pin releaser; on failure none is left running. */
    Tracers(String arch, int count) {
        this.pinReleaser = new PinReleaser("tether-unpin-" + arch);
        try {
            for (int i = 0; i < count; i++) {
                threads.add(new TracerThread("tether-tracer-" + arch + "-" + i, pinReleaser));
            }
        } catch (RuntimeException e) {
            threads.forEach(TracerThread::stop);
            pinReleaser.close();
            throw e;
        }
    }

    /** The next tracer, round-robin. */
    TracerThread pick() {
        return threads.get(Math.floorMod(next.getAndIncrement(), threads.size()));
    }

    /** The tracer threads' OS thread ids (gettid). */
    List<Integer> tids() {
        List<Integer> out = new ArrayList<>();
        for (TracerThread t : threads) {
            out.add(t.tid());
        }
        return out;
    }

    /** Tracer 0, the master's owner. */
    TracerThread first() {
        return threads.get(0);
    }

    /**
     * The tracer thread the calling code runs on.
     *
     * @throws IllegalStateException naming {@code what} when called from any other thread
     */
    TracerThread current(String what) {
        for (TracerThread t : threads) {
            if (t.isCurrent()) {
                return t;
            }
        }
        throw new IllegalStateException(what);
    }

    /**
     * Stops the tracer threads after the work already queued, waits for them, then gives every
     * caller's CPU binding back. Only once they own no live tracee (EXITKILL would kill it).
     */
    void close() {
        for (TracerThread t : threads) {
            t.stop();
        }
        for (TracerThread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        pinReleaser.close();
    }
}
