package dev.tether.core;

import dev.tether.api.PlatformClosedException;
import dev.tether.api.TetherException;
import dev.tether.linux.Sys;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;

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
 * tracer's stubs follow it, see {@code Tracee.bind}) and binds the caller there too for the
 * length of the call, restoring the caller's own affinity mask afterwards. (Yielding the CPU in
 * a loop instead of parking was tried: faster when it works, but EEVDF may keep picking the
 * yielding caller over a tracer it deems ineligible, for hundreds of µs.) Background work
 * ({@link #post}) unbinds the tracer, so that it runs beside the caller, not in its way.
 */
final class TracerThread {
    private static final Runnable STOP = () -> { };
    private static final System.Logger LOG = System.getLogger(TracerThread.class.getName());

    private final Thread thread;
    private final LinkedBlockingQueue<Runnable> queue = new LinkedBlockingQueue<>();
    private final CountDownLatch started = new CountDownLatch(1);
    private volatile int tid;
    private volatile boolean stopping;
    /** The CPU this thread was last bound to, or -1 (written by callers; a lost race costs one more bind). */
    private volatile int boundCpu = -1;
    /** The CPUs this thread may run on when it is not following a caller (its mask at start). */
    private volatile long[] freeMask;

    TracerThread(String name) {
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
            Runnable r;
            try {
                r = queue.take();
            } catch (InterruptedException e) {
                // A tracer must not die while it owns tracees (EXITKILL would kill them): ignore.
                continue;
            }
            if (r == STOP) {
                break;
            }
            r.run();
        }
    }

    String name() {
        return thread.getName();
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
        FutureTask<T> task = new FutureTask<>(work);
        long[] callerMask = sameCpu();
        try {
            // Checked and queued under the lock that stop() takes, so no task can land behind STOP
            // and wait forever.
            synchronized (this) {
                if (stopping) {
                    throw new PlatformClosedException("tracer thread " + thread.getName() + " has stopped");
                }
                queue.add(task);
            }
            return await(task);
        } finally {
            if (callerMask != null) {
                try {
                    Sys.setAffinity(0, callerMask);
                } catch (RuntimeException e) {
                    // the caller stays on one CPU: only less spread
                }
            }
        }
    }

    private <T> T await(FutureTask<T> task) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return task.get();
                } catch (InterruptedException e) {
                    // The work is already queued and cannot be abandoned half-done (a tracee
                    // could be left running); finish waiting and keep the interrupt.
                    interrupted = true;
                } catch (ExecutionException e) {
                    Throwable c = e.getCause();
                    if (c instanceof RuntimeException) {
                        throw (RuntimeException) c;
                    }
                    if (c instanceof Error) {
                        throw (Error) c;
                    }
                    throw new TetherException(String.valueOf(c.getMessage()), c);
                } catch (CancellationException e) {
                    throw new PlatformClosedException("tracer thread " + thread.getName() + " stopped before the call ran");
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
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
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "background work on " + thread.getName() + " failed", e);
            }
        };
        // Background work should not take the caller's CPU from it: let the scheduler place us.
        unbind();
        synchronized (this) {
            if (stopping) {
                return false;
            }
            queue.add(logged);
            return true;
        }
    }

    private void unbind() {
        long[] mask = freeMask;
        if (boundCpu >= 0 && mask != null) {
            try {
                Sys.setAffinity(tid, mask);
                boundCpu = -1;
            } catch (RuntimeException e) {
                // stays bound: only slower
            }
        }
    }

    /**
     * Binds this thread and, for the length of the call, the calling thread to the caller's
     * current CPU (see the class comment). Returns the caller's affinity mask to restore, or null
     * when nothing was bound (the scheduler then places both, as it likes).
     */
    private long[] sameCpu() {
        int cpu = Sys.currentCpu();
        if (cpu < 0 || cpu >= Sys.MAX_BIND_CPUS) {
            return null;
        }
        try {
            if (cpu != boundCpu) {
                Sys.bindToCpu(tid, cpu);
                boundCpu = cpu;
            }
            long[] mask = Sys.getAffinity(0);
            Sys.bindToCpu(0, cpu);
            return mask;
        } catch (RuntimeException e) {
            return null; // a cpuset without that CPU, or a seccomp filter on the JVM: only slower
        }
    }

    /** Lets the thread end after the work already queued; only when it owns no live tracee. */
    synchronized void stop() {
        if (!stopping) {
            stopping = true;
            queue.add(STOP);
        }
    }

    void join() throws InterruptedException {
        thread.join();
    }
}
