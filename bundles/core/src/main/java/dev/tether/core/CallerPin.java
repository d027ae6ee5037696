package dev.tether.core;

import dev.tether.linux.Sys;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A calling thread's binding to its tracer's CPU, kept for a short while after a hand-off
 * ({@link TracerThread}). Binding a thread (sched_getaffinity + sched_setaffinity) and unbinding
 * it (sched_setaffinity) cost ~6 µs a hand-off on a 2-vCPU VM, more than the hand-off itself
 * (~4 µs); a thread that hands work to tracers back to back (fork, then destroy, then fork) pays
 * them once: the binding is kept after a call and given back by the platform's
 * {@link PinReleaser} once the thread has made no call for {@link PinReleaser#KEEP_NANOS} (to 2x that). The mask given
 * back is the thread's own from before its first call; a mask the thread sets itself in between
 * is respected (neither overwritten nor replaced by the old one), unless it is set in the
 * microsecond between the releaser's check and its write.
 *
 * <p>The calling thread moves its pin FREE -> IN_CALL -> KEPT (-> IN_CALL ...); the releaser
 * moves it KEPT -> RELEASING -> FREE. The fields other than {@code state} are written only by
 * the side that holds IN_CALL or RELEASING, and published by the volatile state write that ends
 * it. The pin calls its releaser (to be watched, to learn that it closed); the releaser calls it
 * back only as a {@link PinReleaser.Kept}.
 */
final class CallerPin implements PinReleaser.Kept {
    private static final int FREE = 0;
    private static final int IN_CALL = 1;
    private static final int KEPT = 2;
    private static final int RELEASING = 3;

    /** The calling thread that owns this pin. */
    final Thread thread;
    private final int tid;
    private final AtomicInteger state = new AtomicInteger(FREE);
    /** The CPU this thread is bound to by us, or -1. */
    private int cpu = -1;
    /** The thread's own affinity mask, to give back. */
    private long[] savedMask;
    /** Set when the thread gets bound anew: the releaser that forgot it must watch it again. */
    private boolean fresh;
    /**
     * How many {@link #enterHere} calls in a row keep the binding before one runs unbound: at ~4 µs
     * a guest switch, every ~4 ms; giving the mask back and binding again (~6 µs) and the unbound
     * switch (at worst a cross-CPU wake-up, ~20 µs here) cost under 1% of the switches' time.
     */
    static final int REBALANCE_EVERY = 1024;
    /** {@link #enterHere} calls since the binding was last made or kept (this thread only). */
    private int sinceBound;

    /**
     * Calls ended so far, counted by the thread itself: the releaser gives the binding back once
     * this has not changed for its keep time. A counter, not the time of the last call: a guest
     * switch ends a call every few µs, and System.nanoTime at each showed in its profile.
     */
    private int uses;
    /** What the releaser saw of {@link #uses} last, and when it last changed (releaser only). */
    private int seenUses;
    private long seenAt;
    /** The releaser looking after this pin (set by {@link #watchedBy}). */
    private volatile PinReleaser watcher;

    /** Created on the calling thread itself (a thread-local), so that gettid names it. */
    CallerPin() {
        this.thread = Thread.currentThread();
        this.tid = Sys.gettid();
    }

    /**
     * Binds the calling thread (the owner of this pin) to {@code target} for a call, unless it is
     * bound there already, and has {@code releaser} look after the binding (null: the call gives
     * it back itself, see {@link #exit}); returns false if it could not be bound (a cpuset
     * without that CPU, a seccomp filter on the JVM: the call is then only slower).
     */
    boolean enter(int target, PinReleaser releaser) {
        if (!bind(target)) {
            return false;
        }
        if (releaser != null && (watcher != releaser || fresh)) {
            watchedBy(releaser);
        }
        return true;
    }

    /**
     * Binds the calling thread (the owner of this pin) to the CPU it is bound to already, or
     * else to the one it runs on now, for a call that it makes itself (a guest switch: the
     * thread is the tracer of its stub thread, see {@code Sysemu}); returns that CPU, or -1 if
     * it could not be bound. A thread bound already pays no native call here. {@link #exit}
     * ends the call as for a hand-off.
     */
    int enterHere(PinReleaser releaser) {
        enterCall();
        int bound = cpu; // stable: this thread holds IN_CALL
        if (bound >= 0) {
            if (++sinceBound < REBALANCE_EVERY) {
                return bound;
            }
            // Now and then one call runs with the thread's own mask, so that the scheduler can
            // move it (two guest threads that were bound on one CPU would otherwise share it for
            // as long as they keep switching); the next call binds it wherever it is then.
            sinceBound = 0;
            giveBack(0);
            state.set(FREE);
            return -1;
        }
        int here = Sys.currentCpu();
        if (here < 0 || here >= Sys.MAX_BIND_CPUS || !bindInCall(here)) {
            state.set(FREE);
            return -1;
        }
        sinceBound = 0;
        if (releaser != null && (watcher != releaser || fresh)) {
            watchedBy(releaser);
        }
        return here;
    }

    /** Has {@code releaser} look after this pin from now on (this thread, in a call). */
    private void watchedBy(PinReleaser releaser) {
        fresh = false;
        watcher = releaser;
        releaser.watch(this);
    }

    /** Moves this pin to IN_CALL (from FREE or KEPT, waiting out a releaser that is giving it back). */
    private void enterCall() {
        while (true) {
            int s = state.get();
            if (s == RELEASING) {
                Thread.onSpinWait(); // a tracer is giving the old binding back: a few µs
                continue;
            }
            if (s == KEPT && !state.compareAndSet(KEPT, IN_CALL)) {
                continue;
            }
            if (s == FREE) {
                state.set(IN_CALL); // only this thread leaves FREE
            }
            return;
        }
    }

    private boolean bind(int target) {
        enterCall();
        if (!bindInCall(target)) {
            state.set(FREE);
            return false;
        }
        return true;
    }

    /** Binds to {@code target} while IN_CALL; false (binding given back) if that failed. */
    private boolean bindInCall(int target) {
        try {
            if (cpu == target) {
                return true;
            }
            long[] current = Sys.getAffinity(0);
            if (cpu < 0 || !isOnly(current, cpu)) {
                // Not bound by us, or the thread set a mask of its own since: that is the one to give back.
                savedMask = current;
                fresh = true;
            }
            Sys.bindToCpu(0, target);
            cpu = target;
            return true;
        } catch (RuntimeException e) {
            giveBack(0);
            return false;
        }
    }

    /**
     * Ends a call: the binding is kept for {@code releaser}'s keep time, or given back at once
     * when {@code now} or when there is no releaser (or it has closed, the platform with it).
     */
    void exit(boolean now, PinReleaser releaser) {
        if (cpu < 0) {
            state.set(FREE);
            return;
        }
        if (now || releaser == null) {
            giveBack(0);
            state.set(FREE);
            return;
        }
        // Only this thread writes it, and the volatile write of KEPT below publishes it to the
        // releaser, which reads it after reading KEPT: not volatile itself, which would cost this
        // call a second store fence (a guest switch ends a call every few µs).
        uses++;
        state.set(KEPT);
        // The releaser's last sweep may have run while this thread was still in its call (and so
        // passed it over): either that sweep sees KEPT or this thread sees it closed (both volatile).
        if (releaser.isClosed() && state.compareAndSet(KEPT, RELEASING)) {
            giveBack(0);
            state.set(FREE);
        }
    }

    /**
     * On releaser {@code me}: gives the binding back if the thread has ended no call since this
     * releaser looked at least its keep time ({@link PinReleaser#KEEP_NANOS} by default) before {@code now}
     * (so 1-2 keep times after its last call; at any age when {@code force}). Returns whether the releaser must keep watching this pin: false once it is
     * free or given back, or watched by another platform's releaser; a thread in a call at a
     * forced release gives its binding back itself when the call ends (see {@link #exit}).
     */
    @Override
    public boolean keep(long now, boolean force, PinReleaser me) {
        int s = state.get();
        if (s == FREE || s == RELEASING || watcher != me) {
            return false;
        }
        if (s == IN_CALL) {
            return !force;
        }
        int u = uses;
        if (u != seenUses) {
            seenUses = u;
            seenAt = now;
            if (!force) {
                return true;
            }
        }
        if (!force && now - seenAt < me.keepNanos) {
            return true;
        }
        if (!state.compareAndSet(KEPT, RELEASING)) {
            return !force; // back in a call
        }
        giveBack(thread.isAlive() ? tid : -1);
        state.set(FREE);
        return false;
    }

    private void giveBack(int who) {
        long[] mask = savedMask;
        int bound = cpu;
        cpu = -1;
        savedMask = null;
        if (who < 0 || mask == null || bound < 0) {
            return;
        }
        try {
            if (isOnly(Sys.getAffinity(who), bound)) {
                Sys.setAffinity(who, mask);
            }
        } catch (RuntimeException e) {
            // the thread ended meanwhile: nothing to give back
        }
    }

    /** Whether {@code mask} holds exactly {@code cpu}. */
    static boolean isOnly(long[] mask, int cpu) {
        for (int i = 0; i < mask.length; i++) {
            long want = (i == cpu >>> 6) ? 1L << (cpu & 63) : 0;
            if (mask[i] != want) {
                return false;
            }
        }
        return true;
    }
}
