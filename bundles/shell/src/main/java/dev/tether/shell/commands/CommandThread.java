package dev.tether.shell.commands;

import dev.tether.api.TetherException;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The one long-lived platform thread on which the console commands touch stubs and subprocesses.
 *
 * <p>Why: a subprocess's stub thread is traced by the Java thread that first injected into it,
 * and the kernel kills the stub thread - and the whole subprocess - when that thread exits
 * (PTRACE_O_EXITKILL, ptrace(2); docs/architecture.md, section 10, item 3). Gogo runs commands on session threads that end with
 * the session (or the pipeline), so a subprocess made by {@code tether:spawn} would die with the
 * shell's thread. This thread lives as long as the commands component and never exits early: a
 * failing task only fails its caller.
 */
final class CommandThread {
    private static final Runnable STOP = () -> { };
    /** How long a command waits for its work; injections take microseconds, creation milliseconds. */
    static final long TIMEOUT_SECONDS = 60;

    private final Thread thread;
    private final LinkedBlockingQueue<Runnable> queue = new LinkedBlockingQueue<>();
    private volatile boolean stopping;

    CommandThread(String name) {
        thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        while (true) {
            Runnable r;
            try {
                r = queue.take();
            } catch (InterruptedException e) {
                continue; // this thread traces stub threads: it must not end while they live
            }
            if (r == STOP) {
                return;
            }
            r.run(); // a FutureTask: it never throws
        }
    }

    String name() {
        return thread.getName();
    }

    /**
     * Runs {@code work} on this thread and returns its result; its exceptions reach the caller
     * unchanged.
     *
     * @throws TetherException when the work does not finish in {@value #TIMEOUT_SECONDS} s, or
     *     the thread has stopped
     */
    <T> T call(Callable<T> work) {
        if (Thread.currentThread() == thread) {
            try {
                return work.call();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new TetherException(e.getMessage(), e);
            }
        }
        FutureTask<T> task = new FutureTask<>(work);
        synchronized (this) {
            if (stopping) {
                throw new TetherException("the tether console's command thread has stopped");
            }
            queue.add(task);
        }
        try {
            return task.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException) {
                throw (RuntimeException) c;
            }
            if (c instanceof Error) {
                throw (Error) c;
            }
            throw new TetherException(String.valueOf(c.getMessage()), c);
        } catch (TimeoutException e) {
            throw new TetherException("the command did not finish in " + TIMEOUT_SECONDS + " s on " + thread.getName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TetherException("interrupted while waiting for " + thread.getName()
                    + " (the work goes on there)");
        }
    }

    /** Ends the thread after the work already queued, and waits for it. */
    void stop() throws InterruptedException {
        synchronized (this) {
            if (!stopping) {
                stopping = true;
                queue.add(STOP);
            }
        }
        thread.join(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
    }
}
