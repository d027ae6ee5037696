package dev.tether.core;

import dev.tether.abi.Errno;
import dev.tether.abi.Wait;
import dev.tether.api.FailureMode;
import dev.tether.api.PlatformClosedException;
import dev.tether.api.StubDiedException;
import dev.tether.api.TetherException;
import dev.tether.linux.NativeMemory;
import dev.tether.seccomp.Action;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * The master stub and the forks from it (in gVisor's {@code pkg/sentry/platform/ptrace}: the first
 * {@code newSubprocess(createStub)} of {@code subprocess.go}, and {@code (s *subprocess) createStub()}
 * of {@code subprocess_linux.go}).
 * The master is created from the JVM on first use, unmapped down to its stub page, and replaced
 * when found dead (contained mode). Every subprocess is its child: forked by an injected clone,
 * and reaped through it by an injected wait4 ({@link #reapThroughMaster}).
 */
final class Forker {

    private final Spawner spawner;
    private final StubFilters filters;
    private final Tracers tracers;
    private final SyscallRegs regs;
    private final PlatformContext context;
    private final FailureMode mode;
    private final Action defaultAction;
    private final String arch;
    /** Runs with a new child's pid between its clone and its attach (a test hook; usually does nothing). */
    private final IntConsumer afterClone;
    private final int clone;
    private final int wait4;

    /** Guards creating and replacing the master and {@link #closed}; taken after the platform's lock, never before. */
    private final Object lock = new Object();
    private volatile SubprocessImpl master;
    private boolean closed;

    Forker(Spawner spawner, StubFilters filters, Tracers tracers, SyscallRegs regs, PlatformContext context,
            Action defaultAction, IntConsumer afterClone) {
        this.spawner = spawner;
        this.filters = filters;
        this.tracers = tracers;
        this.regs = regs;
        this.context = context;
        this.mode = context.facts().failureMode();
        this.defaultAction = defaultAction;
        this.arch = context.facts().arch();
        this.afterClone = afterClone;
        this.clone = context.syscallNumber("clone");
        this.wait4 = context.syscallNumber("wait4");
    }

    /**
     * The master stub: created from the JVM on first use by tracer thread 0, then unmapped down to
     * its stub page, so that forking from it copies almost no page tables. A master known to be
     * dead (killed from outside, OOM-killed) is reaped and replaced here, in contained mode; in
     * fail-stop mode its death has already taken the JVM with it.
     */
    /** The master as it is now, without creating one: null before the first fork. */
    SubprocessImpl currentMaster() {
        return master;
    }

    SubprocessImpl master() {
        SubprocessImpl m = master;
        if (m != null && m.alive()) {
            return m;
        }
        synchronized (lock) {
            if (closed) {
                throw new PlatformClosedException("the " + arch + " stub platform is closed");
            }
            SubprocessImpl dead = master;
            if (dead != null && !dead.alive()) {
                master = null;
                retire(dead);
            }
            if (master == null) {
                TracerThread t0 = tracers.first();
                NativeMemory fprog = filters.masterFilter(defaultAction);
                long t = System.nanoTime();
                SubprocessImpl created = t0.call(() -> {
                    SubprocessImpl s = new SubprocessImpl(context, spawner.createTracee(filters.processCloneFlags(), fprog), t0, true);
                    try {
                        s.unmapAll();
                    } catch (RuntimeException e) {
                        s.first.kill();
                        throw e;
                    }
                    return s;
                });
                context.listener().stubCreated(created.pid(), false, System.nanoTime() - t);
                if (dead != null) {
                    context.listener().masterRestarted(dead.pid(), created.pid(), String.valueOf(dead.death()));
                }
                master = created;
            }
            return master;
        }
    }

    /** Kills and reaps a dead master on its owner; a failure is reported, the replacement goes ahead. */
    private void retire(SubprocessImpl dead) {
        try {
            dead.owner.call(() -> {
                dead.killAndReap();
                return null;
            });
        } catch (RuntimeException e) {
            context.listener().failed("reaping the dead master stub " + dead.pid(), e);
        }
    }

    /**
     * A new subprocess forked from the master on tracer thread {@code t}, which owns it. A master
     * found dead on the way is replaced and the fork tried once more (contained mode).
     */
    SubprocessImpl fork(TracerThread t) {
        SubprocessImpl m = master();
        try {
            return t.call(() -> forkFrom(m));
        } catch (StubDiedException e) {
            if (m.alive() || mode != FailureMode.CONTAINED) {
                throw e;
            }
            SubprocessImpl again = master();
            return t.call(() -> forkFrom(again));
        }
    }

    /**
     * On the new child's tracer: an injected clone in the master through this thread's own
     * master stub thread, with the child's expected ppid and the re-bootstrap flag set
     * (initChildProcessPPID); an injected wait4 for the child's group-stop; attach from here;
     * check where it stopped.
     */
    private SubprocessImpl forkFrom(SubprocessImpl m) {
        long t0 = System.nanoTime();
        Tracee mt = m.threadFor(Thread.currentThread());
        long pid;
        try {
            // initChildProcessPPID: the child re-runs the stub's bootstrap, checking its parent is the master
            pid = mt.inject(clone, new long[] {filters.processCloneFlags(), 0, 0, 0, 0, 0}, m.pid());
        } catch (StubDiedException e) {
            StubDiedException d = StubDeath.during(e, "clone of a subprocess");
            m.died(d);
            throw d;
        }
        if (pid <= 0) {
            throw new TetherException("creating stub process: clone in the master returned " + Errno.name((int) -pid));
        }
        TracerThread owner = tracers.current("must run on a tracer thread");
        Tracee child = new Tracee((int) pid, (int) pid, owner, regs);
        try {
            long w;
            try {
                w = mt.inject(wait4, new long[] {pid, 0, Wait.__WALL | Wait.WUNTRACED, 0, 0, 0});
            } catch (StubDiedException e) {
                StubDiedException d = StubDeath.during(e, "wait4 for a new subprocess");
                m.died(d);
                throw d;
            }
            if (w != pid) {
                throw new TetherException("waiting on stub process " + pid + ": wait4 in the master returned "
                        + (w < 0 && w > -4096 ? Errno.name((int) -w) : Long.toString(w)));
            }
            afterClone.accept((int) pid);
            child.attach();
            child.grabInitRegs();
            spawner.checkStoppedInStub(child);
        } catch (RuntimeException e) {
            discardChild(m, mt, child, e);
            throw e;
        }
        // No unmapAll: the child is a copy of the master, which holds only the stub page.
        SubprocessImpl s = new SubprocessImpl(context, child, owner, false);
        context.listener().stubCreated((int) pid, true, System.nanoTime() - t0);
        return s;
    }

    /**
     * A fork failed after its clone: kill the child and reap it, as our tracee if it was attached
     * and through the master, its parent (an injected wait4), so that nothing is left behind.
     */
    private void discardChild(SubprocessImpl m, Tracee mt, Tracee child, RuntimeException why) {
        try {
            GroupReaper.killAndReap(child.tgid, List.of(child.tid), false);
            if (m.alive()) {
                mt.inject(wait4, new long[] {child.tgid, 0, Wait.__WALL, 0, 0, 0});
            }
        } catch (RuntimeException e) {
            why.addSuppressed(e);
        }
    }

    /**
     * Reaps the zombie of killed subprocess {@code s} through its parent, the master (an injected
     * wait4 from the calling tracer's master stub thread); nothing when there is no live master
     * (then the zombie went with the dead master). Runs on {@code s}'s owner.
     */
    void reapThroughMaster(SubprocessImpl s) {
        SubprocessImpl m = master;
        if (m != null && m.alive()) {
            Tracee mt = m.threadFor(Thread.currentThread());
            long r;
            try {
                r = mt.inject(wait4, new long[] {s.pid(), 0, Wait.__WALL, 0, 0, 0});
            } catch (StubDiedException e) {
                throw StubDeath.during(e, "wait4 reaping a subprocess");
            }
            if (r != s.pid() && r != -Errno.ECHILD) {
                CoreLog.warn(Forker.class, "reaping subprocess " + s.pid() + " through the master returned " + r, null);
            }
        }
    }

    /**
     * No master is created from now on. In fail-stop mode with a master, refuses instead (and
     * stays open): the master was cloned with exit signal SIGKILL, so its teardown would kill the JVM.
     */
    void close() {
        synchronized (lock) {
            if (master != null && mode == FailureMode.FAIL_STOP) {
                throw new TetherException("fail-stop mode: the master stub was cloned with exit signal SIGKILL, so"
                        + " tearing it down would kill the JVM; it ends when the JVM does");
            }
            closed = true;
        }
    }

    /** Kills and reaps the master, after {@link #close} and once no subprocess needs it to be reaped. */
    void killMaster() {
        SubprocessImpl m = master;
        if (m != null) {
            try {
                m.owner.call(() -> {
                    m.killAndReap();
                    return null;
                });
            } catch (RuntimeException e) {
                CoreLog.warn(Forker.class, "could not tear down " + m, e);
            }
        }
    }
}
