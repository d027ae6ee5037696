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
 */
final class TracerThread {
    private static final Runnable STOP = () -> { };

    private final Thread thread;
    private final LinkedBlockingQueue<Runnable> queue = new LinkedBlockingQueue<>();
    private final CountDownLatch started = new CountDownLatch(1);
    private volatile int tid;
    private volatile boolean stopping;

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
        // Checked and queued under the lock that stop() takes, so no task can land behind STOP
        // and wait forever.
        synchronized (this) {
            if (stopping) {
                throw new PlatformClosedException("tracer thread " + thread.getName() + " has stopped");
            }
            queue.add(task);
        }
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
