package dev.tether.core;

import dev.tether.api.PlatformClosedException;
import dev.tether.api.TetherException;
import dev.tether.linux.Sys;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;

/**
 * A dedicated platform thread that owns tracees: every ptrace and wait4 call on them runs here.
 * Work arrives through {@link #call(Callable)}; a call made on the thread itself runs directly.
 *
 * <h2>Hand-off on one CPU</h2>
 * A caller and its tracer take turns (the caller waits while the tracer works), so both belong
 * on one CPU. Left to the scheduler, a sleeping thread is woken on an idle CPU if there is one:
 * the tracer on the other CPU, then the caller back on another again - two cross-CPU wake-ups,
 * ~45 µs a round trip in a 2-vCPU VM against ~5-10 µs on one CPU (measured). So {@link #call}
 * binds the tracer to the caller's current CPU (one sched_setaffinity, only when it changed; the
 * tracer's stubs follow it, see {@code Tracee.bind}) and binds the caller there too. Binding and
 * unbinding the caller (~6 µs) cost more than the hand-off itself (~4 µs: futex wake, two
 * context switches, futex wake), so the caller stays bound after the call and the platform's
 * {@link PinReleaser} gives it its own affinity mask back once it has made no call for a
 * millisecond ({@link CallerPin}): calls in a row pay for the binding once. (Yielding the CPU in
 * a loop instead of parking was tried: faster when it works, but EEVDF may keep picking the
 * yielding caller over a tracer it deems ineligible, for hundreds of µs.) Background work
 * ({@link #post}) moves the tracer off the caller's CPU, so that it runs beside the caller, not
 * in its way.
 */
final class TracerThread {
    private static final Object STOP = new Object();
    /** Each calling thread's call record, reused: a hand-off allocates nothing. */
    private static final ThreadLocal<Call> CALLS = ThreadLocal.withInitial(Call::new);

    private final Thread thread;
    /** {@link Call}s, background {@link Runnable}s and {@link #STOP}, in arrival order. */
    private final ConcurrentLinkedQueue<Object> queue = new ConcurrentLinkedQueue<>();
    private final CountDownLatch started = new CountDownLatch(1);
    /** Set by this thread before it parks for lack of work; callers that see it unpark it. */
    private volatile boolean idle;
    private volatile int tid;
    private volatile boolean stopping;
    /** The CPU this thread was last bound to, or -1 (written by callers; a lost race costs one more bind). */
    private volatile int boundCpu = -1;
    /** The CPU this thread was last kept off for background work ({@link #moveAway}), or -1. */
    private volatile int awayFrom = -1;
    /** The CPUs this thread may run on when it is not following a caller (its mask at start). */
    private volatile long[] freeMask;
    /** Gives callers' bindings back; null: each call gives its caller's binding back at once. */
    private final PinReleaser releaser;

    /**
     * One synchronous call: the work, then its outcome. {@code done} is written last by the
     * tracer and read first by the caller, so the outcome fields need no other fence.
     */
    private static final class Call {
        /** Created on the calling thread (a thread-local initial value), like its pin. */
        final CallerPin pin = new CallerPin();
        /** A virtual thread's carrier is not the caller's to bind: asked once per thread. */
        final boolean virtual = Threads.isVirtual(Thread.currentThread());
        Callable<?> work;
        /** Whether the caller is bound to this call's CPU (its pin then needs giving back). */
        boolean pinned;
        Object result;
        Throwable failure;
        volatile boolean done;
    }

    TracerThread(String name) {
        this(name, null);
    }

    TracerThread(String name, PinReleaser releaser) {
        this.releaser = releaser;
        this.thread = new Thread(this::run, name);
        this.thread.setDaemon(true);
        this.thread.start();
        try {
            started.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TetherException("interrupted while starting tracer thread " + name, e);
        }
    }

    private void run() {
        tid = Sys.gettid();
        try {
            freeMask = Sys.getAffinity(0);
        } catch (RuntimeException e) {
            freeMask = null; // then post() never unbinds it (sameCpu most likely fails the same way)
        }
        started.countDown();
        while (true) {
            Object r = next();
            if (r == STOP) {
                break;
            }
            if (r instanceof Call) {
                complete((Call) r);
            } else {
                ((Runnable) r).run(); // posted work logs its own failures
            }
        }
    }

    /**
     * The next queued item, parking while there is none. {@code idle} is set before the queue is
     * checked the last time and callers read it after queueing (both volatile), so either this
     * thread sees the new item or the caller sees {@code idle} and unparks it: no lost wake-up.
     */
    private Object next() {
        while (true) {
            Object r = queue.poll();
            if (r != null) {
                return r;
            }
            idle = true;
            r = queue.poll();
            if (r != null) {
                idle = false;
                return r;
            }
            LockSupport.park(this);
            idle = false;
            // A tracer must not die while it owns tracees (EXITKILL would kill them), and an
            // interrupt would make park return at once forever: clear and ignore it.
            Thread.interrupted();
        }
    }

    private static void complete(Call c) {
        try {
            c.result = c.work.call();
        } catch (Throwable t) { // delivered to the caller, which rethrows it (Errors included)
            c.failure = t;
        }
        c.work = null;
        c.done = true;
        LockSupport.unpark(c.pin.thread);
    }

    private void wake() {
        if (idle) {
            LockSupport.unpark(thread);
        }
    }

    String name() {
        return thread.getName();
    }

    /**
     * The calling thread's CPU pin, the one its hand-offs use (one per thread: two would each take
     * the other's binding for the thread's own mask), or null for a virtual thread, whose carrier
     * is not its to bind.
     */
    static CallerPin callerPin() {
        Call c = CALLS.get();
        return c.virtual ? null : c.pin;
    }

    /** Gives callers' bindings back for this tracer's platform; null if each call gives its own back. */
    PinReleaser releaser() {
        return releaser;
    }

    /** The OS thread id of this tracer. */
    int tid() {
        return tid;
    }

    boolean isCurrent() {
        return Thread.currentThread() == thread;
    }

    void assertCurrent() {
        if (!isCurrent()) {
            throw new IllegalStateException("ptrace call on a tracee from " + Thread.currentThread().getName()
                    + " instead of its tracer thread " + thread.getName());
        }
    }

    /** Runs {@code work} on this thread and returns its result; exceptions propagate unchanged. */
    @SuppressWarnings("unchecked")
    <T> T call(Callable<T> work) {
        if (isCurrent()) {
            try {
                return work.call();
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Exception e) {
                throw new TetherException(e.getMessage(), e);
            }
        }
        Call c = CALLS.get();
        c.work = work;
        c.result = null;
        c.failure = null;
        c.done = false;
        c.pinned = !c.virtual && sameCpu(c.pin);
        try {
            // Checked and queued under the lock that stop() takes, so no call can land behind STOP
            // and wait forever.
            synchronized (this) {
                if (stopping) {
                    c.work = null;
                    throw new PlatformClosedException("tracer thread " + thread.getName() + " has stopped");
                }
                queue.add(c);
            }
            wake();
            await(c);
        } finally {
            if (c.pinned) {
                // Kept for the next call and given back by the releaser once due; at once if
                // this tracer is stopping (the platform is closing).
                c.pin.exit(stopping, releaser);
            }
        }
        Object result = c.result;
        Throwable failure = c.failure;
        c.result = null;
        c.failure = null;
        if (failure == null) {
            return (T) result;
        }
        if (failure instanceof RuntimeException) {
            throw (RuntimeException) failure;
        }
        if (failure instanceof Error) {
            throw (Error) failure;
        }
        throw new TetherException(String.valueOf(failure.getMessage()), failure);
    }

    /**
     * Parks until the call is done. The work is already queued and cannot be abandoned half-done
     * (a tracee could be left running), so an interrupt does not end the wait: it is kept for
     * the caller.
     */
    private static void await(Call c) {
        boolean interrupted = false;
        while (!c.done) {
            LockSupport.park(c);
            if (Thread.interrupted()) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Queues {@code work} to run on this thread later, without waiting for it (background work
     * such as preparing a spare stub thread). A failure is logged. Returns false, dropping the
     * work, after {@link #stop()}.
     */
    boolean post(Runnable work) {
        Runnable logged = () -> {
            try {
                work.run();
            } catch (RuntimeException | Error e) { // logged: the tracer must outlive it (EXITKILL)
                CoreLog.warn(TracerThread.class, "background work on " + thread.getName() + " failed", e);
            }
        };
        // Background work should not take the caller's CPU from it: run it elsewhere.
        moveAway();
        synchronized (this) {
            if (stopping) {
                return false;
            }
            queue.add(logged);
        }
        wake();
        return true;
    }

    /**
     * Lets this thread run anywhere but on the calling thread's CPU, for background work posted
     * by that caller: woken with its whole mask, the scheduler often puts a tracer on the waker's
     * CPU (where it last ran, following that caller), where it preempts the caller for the
     * length of the work (a stub thread's clone, ~30-50 µs) just when the caller goes on with its
     * own call. One sched_setaffinity, only when the CPU to avoid changed. Measured (new_thread,
     * 2-vCPU VM, 3 interleaved rounds): median 42-45 µs, against 72-142 µs with the whole mask.
     */
    private void moveAway() {
        long[] mask = freeMask;
        int cpu = Sys.currentCpu();
        if (mask == null || cpu < 0 || cpu >= Sys.MAX_BIND_CPUS || (cpu == awayFrom && boundCpu < 0)) {
            return;
        }
        long[] away = mask.clone();
        if (cpu / 64 < away.length) {
            away[cpu / 64] &= ~(1L << (cpu % 64));
        }
        boolean empty = true;
        for (long w : away) {
            empty &= w == 0;
        }
        try {
            Sys.setAffinity(tid, empty ? mask : away); // one CPU only: it shares, as before
            boundCpu = -1;
            awayFrom = cpu;
        } catch (RuntimeException e) {
            // stays where it is: only slower
        }
    }

    /**
     * Binds this thread and the calling thread to the caller's current CPU (see the class
     * comment). Returns whether the caller is bound through {@code pin} (false: nothing was bound
     * and the scheduler places both as it likes, which is only slower).
     */
    private boolean sameCpu(CallerPin pin) {
        int cpu = Sys.currentCpu();
        if (cpu < 0 || cpu >= Sys.MAX_BIND_CPUS) {
            return false;
        }
        try {
            if (cpu != boundCpu) {
                Sys.bindToCpu(tid, cpu);
                boundCpu = cpu;
                awayFrom = -1;
            }
        } catch (RuntimeException e) {
            return false; // a cpuset without that CPU, or a seccomp filter on the JVM: only slower
        }
        return pin.enter(cpu, releaser);
    }

    /** Lets the thread end after the work already queued; only when it owns no live tracee. */
    void stop() {
        synchronized (this) {
            if (stopping) {
                return;
            }
            stopping = true;
            queue.add(STOP);
        }
        wake();
    }

    void join() throws InterruptedException {
        thread.join();
    }
}
