package dev.tether.core;

import dev.tether.api.FailureMode;
import dev.tether.api.PlatformClosedException;
import dev.tether.api.Subprocess;
import dev.tether.api.TetherException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.function.Supplier;

/**
 * The subprocesses handed out or pooled (gVisor's {@code globalPool} and {@code Release} in
 * {@code pkg/sentry/platform/ptrace/subprocess.go}): released ones are unmapped and kept for
 * reuse, last in first out, up to the pool size; a pre-forker thread keeps the pool filled to the
 * pre-fork count in the background; a subprocess is destroyed by killing it on its owner and
 * reaping its zombie through the master. Forks come from the {@link Forker}.
 */
final class SubprocessPool {

    private final Forker forker;
    private final Tracers tracers;
    private final Supplier<PlatformListener> listener;
    private final String arch;
    /** Volatile: the pool size and pre-fork count change live ({@link #reconfigure}); the rest never does. */
    private volatile Settings settings;

    /** Guards {@link #subprocesses}, {@link #preforker} and {@link #closed}; the pre-forker waits on it. */
    private final Object lock = new Object();
    /** Subprocesses handed out or pooled (not the master). */
    private final Set<SubprocessImpl> subprocesses = new LinkedHashSet<>();
    /** Released, unmapped subprocesses ready for reuse (LIFO, as gVisor's pool). */
    private final ConcurrentLinkedDeque<SubprocessImpl> pool = new ConcurrentLinkedDeque<>();
    private Thread preforker;
    private boolean closed;

    SubprocessPool(Forker forker, Tracers tracers, Supplier<PlatformListener> listener, String arch, Settings settings) {
        this.forker = forker;
        this.tracers = tracers;
        this.listener = listener;
        this.arch = arch;
        this.settings = settings;
    }

    /** A live subprocess from the pool, or a new fork when the pool has none. */
    SubprocessImpl take() {
        SubprocessImpl s;
        while ((s = pool.pollLast()) != null) {
            if (s.alive() && s.quietInKernel()) {
                s.pooled = false;
                refillAfterHit();
                return s;
            }
            // Died while pooled (killed from outside, or by EXITKILL when a thread that had used
            // it ended, which is normal in thread pools): never handed out, reaped now.
            s.markDead("died while pooled");
            reapDead(s);
        }
        s = fork();
        refill();
        return s;
    }

    /** A new subprocess forked from the master, never from the pool. */
    SubprocessImpl fork() {
        synchronized (lock) {
            if (closed) {
                throw new PlatformClosedException("the " + arch + " stub platform is closed");
            }
        }
        SubprocessImpl s = forker.fork(tracers.pick());
        synchronized (lock) {
            if (!closed) {
                subprocesses.add(s);
                return s;
            }
        }
        destroy(s);
        throw new PlatformClosedException("the platform was closed while the subprocess was being created");
    }

    /** Wakes the pre-forker when the pool is below the configured pre-fork count. */
    private void refill() {
        if (settings.prefork() == 0 || pool.size() >= settings.prefork()) {
            return;
        }
        synchronized (lock) {
            if (closed) {
                return;
            }
            if (preforker == null) {
                preforker = new Thread(this::preforkLoop, "tether-prefork-" + arch);
                preforker.setDaemon(true);
                preforker.start();
            }
            lock.notifyAll();
        }
    }

    /**
     * After a pool hit, wakes the pre-forker only once the pool is down to its low-water mark,
     * (prefork - 1) / 2, and it then refills the pool to the pre-fork count: waking a sleeping
     * thread costs the caller a futex wake, in a VM an IPI to an idle vCPU too, ~8 µs measured
     * against < 1 µs for the hand-out itself, so most acquisitions should not pay it.
     */
    private void refillAfterHit() {
        int prefork = settings.prefork();
        if (prefork > 0 && pool.size() <= (prefork - 1) / 2) {
            refill();
        }
    }

    private void preforkLoop() {
        while (true) {
            synchronized (lock) {
                while (!closed && pool.size() >= settings.prefork()) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (closed) {
                    return;
                }
            }
            try {
                SubprocessImpl s = forker.fork(tracers.pick());
                s.pooled = true;
                synchronized (lock) {
                    if (closed) {
                        s.pooled = false;
                    } else {
                        subprocesses.add(s);
                        pool.addLast(s);
                        continue;
                    }
                }
                destroy(s);
                return;
            } catch (RuntimeException e) {
                listener.get().failed("pre-fork", e); // logged there (PlatformLog), once
                return;
            }
        }
    }

    /**
     * Applies a new pool size and pre-fork count (unlike the other settings they change no
     * existing stub). Pooled subprocesses beyond the new size are destroyed, oldest first
     * (contained mode; fail-stop ones cannot be, and stay pooled).
     */
    void reconfigure(int poolSize, int prefork) {
        Settings s = settings;
        settings = new Settings(s.failureMode(), s.tracerThreads(), poolSize, prefork, s.stubAddress());
        if (s.failureMode() == FailureMode.CONTAINED) {
            SubprocessImpl extra;
            while (pool.size() > poolSize && (extra = pool.pollFirst()) != null) {
                try {
                    destroy(extra);
                } catch (RuntimeException e) {
                    listener.get().failed("shrinking the subprocess pool", e);
                }
            }
        }
        refill();
    }

    /**
     * Release (gVisor's subprocess.Release): unmap and pool it, or destroy it when the pool is
     * full. In fail-stop mode a subprocess cannot be destroyed (its death would kill the master
     * and the JVM), so it is always pooled, as gVisor's pool, which has no limit: the pool size
     * bounds only what contained mode keeps.
     */
    void release(SubprocessImpl s) {
        if (pool.size() >= settings.poolSize() && settings.failureMode() == FailureMode.CONTAINED) {
            destroy(s);
            return;
        }
        try {
            s.owner.call(() -> {
                s.unmapAll();
                return null;
            });
        } catch (RuntimeException e) {
            destroy(s);
            throw e;
        }
        s.pooled = true;
        pool.addLast(s);
    }

    /**
     * A subprocess was found dead: kill what is left of it and reap it now (contained mode). A
     * failure is reported, never thrown: the caller is already reporting the death.
     */
    void reapDead(SubprocessImpl s) {
        try {
            destroy(s);
        } catch (RuntimeException e) {
            listener.get().failed("reaping dead subprocess " + s.pid(), e);
        }
    }

    /**
     * Kills and reaps a subprocess; its leader's zombie is reaped through the master, its
     * parent. Idempotent: only the first call does the work, and a later one (on another thread
     * than the owner) returns when it has ended.
     */
    void destroy(SubprocessImpl s) {
        if (settings.failureMode() == FailureMode.FAIL_STOP) {
            throw new TetherException("fail-stop mode: subprocess " + s.pid() + " was cloned with exit signal SIGKILL;"
                    + " killing it would kill the master stub and with it the JVM. Use contained mode to destroy subprocesses");
        }
        pool.remove(s);
        synchronized (lock) {
            subprocesses.remove(s);
        }
        if (!s.startTeardown()) {
            s.awaitTeardown(); // begun elsewhere (a death seen by another thread): returns reaped all the same
            return;
        }
        try {
            s.owner.call(() -> {
                s.killAndReap();
                forker.reapThroughMaster(s);
                return null;
            });
        } finally {
            s.endTeardown();
        }
    }

    /** The subprocesses handed out or pooled. */
    List<Subprocess> list() {
        synchronized (lock) {
            return List.copyOf(subprocesses);
        }
    }

    /**
     * No subprocess is pooled or handed out any more from now on (those in flight are destroyed);
     * wakes the pre-forker so that it ends.
     */
    void stop() {
        synchronized (lock) {
            closed = true;
            lock.notifyAll();
        }
    }

    /** After {@link #stop}: waits for the pre-forker, then destroys every subprocess. */
    void close() {
        Thread p;
        synchronized (lock) {
            p = preforker;
        }
        if (p != null) {
            try {
                p.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        List<SubprocessImpl> all;
        synchronized (lock) {
            all = new ArrayList<>(subprocesses);
        }
        for (SubprocessImpl s : all) {
            try {
                destroy(s);
            } catch (RuntimeException e) {
                CoreLog.warn(SubprocessPool.class, "could not tear down " + s, e);
            }
        }
    }
}
