package dev.tether.core;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Gives calling threads their own CPU masks back once they have stopped handing work to the
 * platform's tracer threads ({@link CallerPin}); one daemon thread per platform, which sleeps
 * while no caller is bound. It looks once every {@link #KEEP_NANOS} (by default), not
 * after each call: a tracer that armed a timer whenever it went idle paid for it on every
 * hand-off (+0.5 µs median, p90 from ~5 to ~12 µs, measured). It knows a pin only as a
 * {@link Kept}: the pin calls it (to be watched), it calls the pin back only through that.
 */
final class PinReleaser {
    /**
     * How long a calling thread stays bound to its tracer's CPU after its last hand-off: long
     * enough to cover the gap between two calls of one operation sequence (fork, a few injections
     * of its own, destroy), short enough not to matter to the thread's own work.
     */
    static final long KEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    /** A binding this releaser looks after (a caller's pin). */
    interface Kept {
        /**
         * On the releaser {@code me}, at {@code now}: gives the binding back if it has been idle
         * for the releaser's keep time (at any age when {@code force}); whether {@code me} must
         * keep watching it.
         */
        boolean keep(long now, boolean force, PinReleaser me);
    }

    private final Set<Kept> pins = ConcurrentHashMap.newKeySet();
    private final Thread thread;
    private volatile boolean closed;
    /** How long a caller stays bound after its last call. */
    final long keepNanos;

    PinReleaser(String name) {
        this(name, KEEP_NANOS);
    }

    PinReleaser(String name, long keepNanos) {
        this.keepNanos = keepNanos;
        this.thread = new Thread(this::run, name);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /**
     * Looks after {@code pin} from now on (called by its own thread when it gets bound, once it
     * has made this releaser its watcher).
     */
    void watch(Kept pin) {
        if (pins.add(pin)) {
            LockSupport.unpark(thread);
        }
    }

    /** How many callers' bindings it is looking after (for tests and diagnostics). */
    int watching() {
        return pins.size();
    }

    boolean isClosed() {
        return closed;
    }

    private void run() {
        while (!closed) {
            if (pins.isEmpty()) {
                LockSupport.park(this); // watch() adds before it unparks: no lost wake-up
            } else {
                LockSupport.parkNanos(this, keepNanos);
                sweep(false);
            }
            Thread.interrupted(); // nothing to interrupt: keep parking
        }
        sweep(true);
    }

    private void sweep(boolean force) {
        long now = System.nanoTime();
        pins.removeIf(p -> !p.keep(now, force, this));
    }

    /** Gives back every binding it looks after (threads still in a call give theirs back themselves). */
    void close() {
        closed = true;
        LockSupport.unpark(thread);
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
