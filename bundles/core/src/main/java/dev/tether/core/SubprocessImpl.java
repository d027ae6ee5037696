package dev.tether.core;

import dev.tether.abi.Signals;
import dev.tether.abi.Wait;
import dev.tether.api.FailureMode;
import dev.tether.api.PlatformClosedException;
import dev.tether.api.Registers;
import dev.tether.api.StubDiedException;
import dev.tether.api.StubThreadInfo;
import dev.tether.api.Subprocess;
import dev.tether.api.TetherException;
import dev.tether.linux.LinuxException;
import dev.tether.linux.Sys;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A stub process (gVisor's {@code subprocess} in subprocess.go): the {@link Subprocess} API and
 * the subprocess's life (alive, dead, destroyed or pooled; its death in either failure mode; close,
 * destroy and the teardown's kill and reap). Its stub threads are {@link StubThreads}' (the first
 * one, owned by a {@link TracerThread}, and one per calling platform thread, which traces it
 * itself, so injections need no hand-off), its mappings {@link SubprocessMappings}'.
 */
final class SubprocessImpl implements Subprocess {
    final PlatformContext context;
    final Tracee first;
    final TracerThread owner;
    final boolean master;
    private final StubThreads threads;
    private final SubprocessMappings mappings;
    private volatile String death;
    /** The wait(2) status that reported the death, kept so that later calls report the same signal. */
    private volatile int deathStatus;
    private volatile boolean destroyed;
    /** Set by the first teardown (destroy, or the reaping of a death): later ones only wait for it. */
    private final AtomicBoolean tornDown = new AtomicBoolean();
    /** Opened when the first teardown has ended. */
    private final CountDownLatch teardownEnded = new CountDownLatch(1);
    volatile boolean pooled;

    SubprocessImpl(PlatformContext context, Tracee first, TracerThread owner, boolean master) {
        this.context = context;
        this.first = first;
        this.owner = owner;
        this.master = master;
        this.threads = new StubThreads(context, first, owner, master, this::died,
                () -> destroyed || death != null || pooled);
        this.mappings = new SubprocessMappings(this, context);
    }

    @Override
    public int pid() {
        return first.tgid;
    }

    // ---------------------------------------------------------------- stub threads

    /** The calling thread's stub thread for injections ({@link StubThreads#forCaller}). */
    Tracee threadFor(Thread caller) {
        checkUsable();
        return threads.forCaller(caller);
    }

    /** A stub thread another guest platform detaches ({@link StubThreads#newDetachable}). */
    Tracee newDetachableThread(Thread caller) {
        checkUsable();
        return threads.newDetachable(caller);
    }

    /** Forgets a stub thread that was detached ({@link StubThreads#forget}). */
    void forget(Tracee t) {
        threads.forget(t);
    }

    /** From now on the subprocess runs untraced threads ({@link StubThreads#untraced}). */
    void runsUntracedThreads() {
        threads.untraced = true;
    }

    /** The calling thread's stub thread for guest code ({@link StubThreads#sysemuForCaller}). */
    Tracee sysemuThreadFor(Thread caller) {
        checkUsable();
        return threads.sysemuForCaller(caller);
    }

    /**
     * Runs {@code work} with the first stub thread's tid on its tracer, the owner: for what needs
     * only some stopped stub thread of this subprocess (a regset probe), without giving the calling
     * thread a stub thread of its own (which would make the subprocess die with it).
     */
    <T> T onFirstThread(java.util.function.IntFunction<T> work) {
        checkUsable();
        return owner.call(() -> work.apply(first.tid));
    }

    /** An injection through the first thread; must run on the owner. */
    long injectFirst(long sysno, long... args) {
        return threads.injectFirst(sysno, args);
    }

    // ---------------------------------------------------------------- syscalls

    @Override
    public long syscall(long sysno, long... args) {
        Threads.refuseVirtual("Subprocess.syscall");
        SyscallRegs.checkArgs(args);
        Tracee t;
        try {
            t = threadFor(Thread.currentThread());
        } catch (LinuxException e) {
            throw NativeErrors.api(e);
        }
        long t0 = System.nanoTime();
        try {
            long r = t.inject(sysno, args);
            context.listener().injected(pid(), t.tid, sysno, r, System.nanoTime() - t0);
            return r;
        } catch (StubDiedException e) {
            if (destroyed && death == null) {
                // killed by a teardown (destroy, or the platform's close) racing this call
                throw closedDuring(sysno, e);
            }
            StubDiedException d = StubDeath.during(e, context.describeSyscall(sysno));
            context.listener().stubDied(pid(), t.tid, d.getMessage());
            died(d);
            throw d;
        } catch (LinuxException e) {
            if (destroyed && death == null) {
                throw closedDuring(sysno, e);
            }
            throw NativeErrors.api(e);
        }
    }

    private PlatformClosedException closedDuring(long sysno, Exception cause) {
        PlatformClosedException c = new PlatformClosedException("subprocess " + pid() + " was destroyed during "
                + context.describeSyscall(sysno));
        c.initCause(cause);
        return c;
    }

    @Override
    public long syscall(String name, long... args) {
        return syscall(context.syscallNumber(name), args);
    }

    @Override
    public long mapAnonymous(long address, long length, int prot) {
        return mappings.mapAnonymous(address, length, prot);
    }

    @Override
    public long mapFile(long address, long length, int prot, int fd, long offset) {
        return mappings.mapFile(address, length, prot, fd, offset);
    }

    @Override
    public void unmap(long address, long length) {
        mappings.unmap(address, length);
    }

    @Override
    public void protect(long address, long length, int prot) {
        mappings.protect(address, length, prot);
    }

    @Override
    public void read(long address, byte[] into, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, into.length);
        checkUsable();
        try {
            GuestMemory.read(pid(), address, into, offset, length);
        } catch (LinuxException e) {
            throw NativeErrors.api(e);
        }
    }

    @Override
    public void write(long address, byte[] from, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, from.length);
        checkUsable();
        try {
            GuestMemory.write(pid(), address, from, offset, length);
        } catch (LinuxException e) {
            throw NativeErrors.api(e);
        }
    }

    @Override
    public Registers registers() {
        Threads.refuseVirtual("Subprocess.registers");
        try {
            return threadFor(Thread.currentThread()).getRegs();
        } catch (LinuxException e) {
            throw NativeErrors.api(e);
        }
    }

    @Override
    public List<StubThreadInfo> threads() {
        return threads.info();
    }

    // ---------------------------------------------------------------- life

    /** gVisor's subprocess.unmap, through the first thread: everything but the stub page goes. */
    void unmapAll() {
        mappings.unmapAllButStub(threads::injectFirst);
    }

    /** Throws unless this subprocess can be used now: not dead, destroyed or released to the pool. */
    void checkUsable() {
        if (death != null) {
            // a dead subprocess keeps reporting its death, also after it was reaped
            throw new StubDiedException("subprocess " + pid() + " is dead: " + death, pid(), pid(), deathStatus);
        }
        if (destroyed) {
            throw new PlatformClosedException("subprocess " + pid() + " was destroyed");
        }
        if (pooled) {
            throw new IllegalStateException("subprocess " + pid() + " was released to the pool; get a new one with newSubprocess()");
        }
    }

    /**
     * A stub thread of this subprocess died: the subprocess is dead. In fail-stop mode so is the
     * JVM (docs/architecture.md, section 6): gVisor's createStub clones every stub with exit signal SIGKILL so that the host
     * dies with any stub, whose state is unknown and unrecoverable. Under ptrace that chain only
     * completes when the tracer reaps the dead stub, so Tether ends it where it notices the
     * death, as gVisor's unexpectedStubExit (subprocess.go) does: it logs why and SIGKILLs the JVM.
     */
    void died(StubDiedException e) {
        if (death == null) {
            deathStatus = e.waitStatus();
        }
        markDead(e.getMessage());
        if (context.facts().failureMode() == FailureMode.CONTAINED) {
            if (!master) {
                // Kill and reap it now (README, "Failure modes"), not at platform close: a dead
                // process whose zombie or PTRACE_EVENT_EXIT stop is left waiting helps nobody.
                context.reapDead().accept(this);
            }
            return;
        }
        String msg = "Tether (fail-stop mode): " + (master ? "the master stub " : "subprocess ") + pid() + " died: "
                + e.getMessage() + "\nIts state is unknown and, in fail-stop mode, so is the JVM's: killing the JVM"
                + " with SIGKILL.";
        System.err.println(msg); // not a logger, which may be off: the JVM ends next
        System.err.flush();
        Sys.kill(Sys.getpid(), Signals.SIGKILL);
    }

    void markDead(String why) {
        if (death == null) {
            death = why;
        }
    }

    @Override
    public boolean alive() {
        return !destroyed && death == null;
    }

    @Override
    public String death() {
        return destroyed ? (death != null ? death : "destroyed") : death;
    }

    @Override
    public void close() {
        if (destroyed || pooled) {
            return;
        }
        if (death != null || master) {
            destroy();
            return;
        }
        try {
            context.release().accept(this);
        } catch (LinuxException e) {
            throw NativeErrors.api(e);
        }
    }

    boolean destroyed() {
        return destroyed;
    }

    /** True for the first caller only: the one that tears this subprocess down. */
    boolean startTeardown() {
        return tornDown.compareAndSet(false, true);
    }

    /** Called by the first teardown when it has ended, done or failed. */
    void endTeardown() {
        teardownEnded.countDown();
    }

    /**
     * Waits for the first teardown to end, so that a later {@code destroy()} returns with the
     * subprocess reaped as the first one does (a death seen on another thread may have started it).
     * Not on the owner, which runs teardowns: one queued there behind this call would never start.
     *
     * @throws TetherException if it has not ended within twice {@link GroupReaper#TIMEOUT_NANOS}
     */
    void awaitTeardown() {
        if (owner.isCurrent()) {
            return;
        }
        try {
            if (!teardownEnded.await(2 * GroupReaper.TIMEOUT_NANOS, TimeUnit.NANOSECONDS)) {
                throw new TetherException("subprocess " + pid() + ": its teardown on " + owner.name()
                        + " did not end within " + TimeUnit.NANOSECONDS.toSeconds(2 * GroupReaper.TIMEOUT_NANOS) + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the caller is being interrupted: it does not wait
        }
    }

    /**
     * Whether the kernel still shows this pooled subprocess healthy: its leader, traced by the
     * owner and stopped at its breakpoint after its last injection, has no new event to report.
     * A killed one has a PTRACE_EVENT_EXIT stop (or its exit) waiting: waitid with WNOWAIT sees
     * it without consuming it (about a microsecond), from any thread of the JVM (waitid(2):
     * without __WNOTHREAD, the tracees of every thread in the group are looked at).
     */
    boolean quietInKernel() {
        try {
            return Sys.waitid(pid(), Wait.WEXITED | Wait.WSTOPPED | Wait.WNOHANG | Wait.WNOWAIT | Wait.__WALL) == -1;
        } catch (LinuxException e) {
            return false; // ECHILD: not our tracee any more
        }
    }

    @Override
    public void destroy() {
        Threads.refuseVirtual("Subprocess.destroy");
        try {
            context.destroy().accept(this);
        } catch (LinuxException e) {
            throw NativeErrors.api(e);
        }
    }

    /**
     * Kills the process and reaps its stub threads ({@link StubThreads#killAndReap}); runs on the
     * owner, the leader's tracer, which alone can resume its PTRACE_EVENT_EXIT stop.
     */
    void killAndReap() {
        destroyed = true;
        threads.killAndReap();
    }

    @Override
    public String toString() {
        return (master ? "master " : "subprocess ") + pid() + (alive() ? "" : " (" + death() + ")");
    }
}
