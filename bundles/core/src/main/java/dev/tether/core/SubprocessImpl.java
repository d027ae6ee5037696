package dev.tether.core;

import dev.tether.abi.Clone;
import dev.tether.abi.Errno;
import dev.tether.abi.Mman;
import dev.tether.abi.Ptrace;
import dev.tether.abi.Signals;
import dev.tether.abi.Wait;
import dev.tether.api.FailureMode;
import dev.tether.api.PlatformClosedException;
import dev.tether.api.Registers;
import dev.tether.api.StubDiedException;
import dev.tether.api.StubThreadInfo;
import dev.tether.api.Subprocess;
import dev.tether.api.SyscallFailedException;
import dev.tether.api.TetherException;
import dev.tether.linux.LinuxException;
import dev.tether.linux.Sys;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A stub process with its stub threads (gVisor's {@code subprocess} in subprocess.go). Its first thread
 * is owned by a {@link TracerThread} and serves clone requests for new stub threads; every calling
 * platform thread gets a stub thread of its own, which it traces itself
 * ({@code syscallThreads.lookupOrCreate}), so injections need no hand-off.
 */
final class SubprocessImpl implements Subprocess {
    final PlatformContext context;
    final Tracee first;
    final TracerThread owner;
    final boolean master;
    private final Map<Thread, Tracee> byCaller = new ConcurrentHashMap<>();
    private final Map<Thread, Tracee> sysemuByCaller = new ConcurrentHashMap<>();
    private final List<Tracee> all = new CopyOnWriteArrayList<>();
    private volatile String death;
    private volatile boolean destroyed;
    /** Set by the first teardown (destroy, or the reaping of a death): later ones have nothing to do. */
    private final java.util.concurrent.atomic.AtomicBoolean tornDown = new java.util.concurrent.atomic.AtomicBoolean();
    volatile boolean pooled;
    /**
     * The subprocess runs untraced threads (the trap platform's guests, {@code StubThreadsImpl}): a
     * group stop would stop them too, and nothing would continue them. So no spare is parked in
     * group-stop, and the group stop of each new stub thread's hand-off is ended with a SIGCONT once
     * its caller attached it (signal(7): SIGCONT continues every stopped thread of the process).
     */
    volatile boolean untracedThreads;
    /** A detached stub thread in group-stop for the next new caller (see threadFor). */
    private final SpareThread spare = new SpareThread();

    SubprocessImpl(PlatformContext context, Tracee first, TracerThread owner, boolean master) {
        this.context = context;
        this.first = first;
        this.owner = owner;
        this.master = master;
        all.add(first);
    }

    @Override
    public int pid() {
        return first.tgid;
    }

    // ---------------------------------------------------------------- stub threads

    /**
     * gVisor's threadPool.lookupOrCreate (subprocess.go): the calling thread's stub thread, created on first use: a clone
     * through the first thread (on its owner), which traps in SIGSTOP and is detached, then
     * attached here by the caller, which becomes its tracer.
     *
     * <p>Once a subprocess has served one caller, its owner keeps one such detached thread ready
     * in the background (a spare), so that a new caller's lookupOrCreate is only PTRACE_ATTACH +
     * wait + PTRACE_SETOPTIONS: the clone is off the caller's path, as a pre-forked subprocess
     * takes the fork off {@code newSubprocess}'s. Without a spare (the first caller, or callers
     * arriving faster than the owner clones) the clone is done synchronously, as gVisor does.
     */
    Tracee threadFor(Thread caller) {
        checkUsable();
        Tracee t = byCaller.get(caller);
        if (t != null) {
            return t;
        }
        Tracee nt = newCallerThread(caller);
        byCaller.put(caller, nt);
        return nt;
    }

    /**
     * The calling thread's stub thread for running guest code (gVisor's {@code sysemuThreads}, kept
     * apart from the {@code syscallThreads} that {@link #threadFor} serves: a guest's registers
     * never meet an injection's). Created on first use like {@link #threadFor}'s.
     */
    Tracee sysemuThreadFor(Thread caller) {
        checkUsable();
        Tracee t = sysemuByCaller.get(caller);
        if (t != null) {
            return t;
        }
        Tracee nt = newCallerThread(caller);
        sysemuByCaller.put(caller, nt);
        return nt;
    }

    /**
     * A stub thread for another guest platform (core's {@code StubThreadsImpl}): made like a caller's own,
     * but registered for no caller; {@link #forget} drops it once it is detached.
     */
    Tracee newDetachableThread(Thread caller) {
        checkUsable();
        return newCallerThread(caller);
    }

    /** Forgets a stub thread that was detached (no longer ours to trace, kill one by one or reap). */
    void forget(Tracee t) {
        all.remove(t);
    }

    /** A new stub thread, attached and traced by {@code caller} (the spare if one is ready). */
    private Tracee newCallerThread(Thread caller) {
        int tid = spare.take(owner);
        if (tid < 0) {
            tid = owner.call(this::cloneThread);
        }
        Tracee nt = new Tracee(pid(), tid, null, caller, first.regs);
        try {
            nt.bindHere();
            nt.attach(Tracee.CALLER_OPTIONS);
        } catch (StubDiedException e) {
            died(e);
            throw e;
        } catch (LinuxException e) {
            // ESRCH: the thread is gone, so the process was killed meanwhile
            StubDiedException d = new StubDiedException("subprocess " + pid() + ": its stub thread " + tid
                    + " could not be attached (" + e.getMessage() + "): the subprocess was killed", pid(), tid, 0);
            d.addSuppressed(e);
            died(d);
            throw d;
        }
        nt.setInitRegs(first.initRegs());
        all.add(nt);
        if (untracedThreads) {
            Sys.kill(pid(), Signals.SIGCONT);
        }
        prepareSpare();
        return nt;
    }

    /** Asks the owner to clone a spare stub thread in the background, unless one is ready or coming. */
    private void prepareSpare() {
        if (master || untracedThreads) {
            return; // only tracer threads use the master, each once; untraced threads: see untracedThreads
        }
        spare.prepare(owner, () -> destroyed || death != null || pooled, this::cloneThread);
    }

    /** gVisor's firstThread.clone() (thread.clone in subprocess_linux.go), on the owner: returns the new, detached, stopped thread. */
    private int cloneThread() {
        Registers init = first.initRegs();
        long page = context.facts().pageSize();
        long sp = StubImage.roundUp(init.get(first.regs.layout.stackPointerIndex()), page);
        long tid = injectFirst(context.syscallNumber("clone"), Clone.STUB_THREAD_FLAGS, sp, 0, 0, 0);
        if (tid <= 0) {
            throw new TetherException("clone of a stub thread in " + pid() + " failed: " + Errno.name((int) -tid));
        }
        // CLONE_PTRACE: the new thread is traced by this owner and starts in a SIGSTOP stop. Any
        // other stop will do as well: a SIGCONT sent to the process before the new thread took
        // its SIGSTOP removes it (signal(7): SIGCONT discards pending stop signals), and the
        // thread then stops at the stub's breakpoint (SIGTRAP) instead. Either way it is stopped
        // under this owner's trace, which is all that is needed: its registers are set below.
        Tracee nt = new Tracee(pid(), (int) tid, owner, first.regs);
        try {
            nt.waitStopped();
        } catch (StubDiedException e) {
            throw StubDeath.during(e, "the start of a new stub thread");
        }
        // Until a caller attaches it, the thread is untraced, in group-stop, and a SIGCONT sent
        // to the process would let it run: at its IP is the stub's breakpoint, whose SIGTRAP
        // would kill the whole process (every disposition is SIG_DFL in a stub). So its registers
        // are set to the syscall kill(pid, SIGSTOP) at the stub's syscall instruction first: a
        // SIGCONT only makes it stop the process again (the stub policy allows kill(any,
        // SIGSTOP)), which the tracers of the other threads see as a signal stop and discard.
        nt.setRegs(first.regs.create(first.initRegs(), context.syscallNumber("kill"), pid(), Signals.SIGSTOP));
        // Detach with SIGSTOP (ptrace(2), "Detaching"): it waits in group-stop until the caller attaches.
        Sys.ptrace(Ptrace.PTRACE_DETACH, (int) tid, 0, Signals.SIGSTOP);
        return (int) tid;
    }

    /** An injection through the first thread; must run on the owner. */
    long injectFirst(long sysno, long... args) {
        try {
            return first.inject(sysno, args);
        } catch (StubDiedException e) {
            StubDiedException d = StubDeath.during(e, context.describeSyscall(sysno));
            died(d);
            throw d;
        }
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

    private long checked(String what, long r) {
        if (r < 0 && r > -4096) {
            throw new SyscallFailedException(what + " in subprocess " + pid(), (int) -r);
        }
        return r;
    }

    @Override
    public long mapAnonymous(long address, long length, int prot) {
        StubPageGuard.check(context.facts(), pid(), "mapAnonymous", address, address != 0 ? length : 0); // only MAP_FIXED replaces
        int flags = Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS | (address != 0 ? Mman.MAP_FIXED : 0);
        return checked(String.format("mmap(0x%x, %d, prot=%d, anonymous)", address, length, prot),
                syscall(context.syscallNumber("mmap"), address, length, prot, flags, -1, 0));
    }

    @Override
    public long mapFile(long address, long length, int prot, int fd, long offset) {
        StubPageGuard.check(context.facts(), pid(), "mapFile", address, length);
        // MAP_SHARED | MAP_FIXED as gVisor's subprocess.MapFile (subprocess.go); fd is valid in the stub
        // because every stub shares the JVM's fd table (CLONE_FILES).
        return checked(String.format("mmap(0x%x, %d, prot=%d, fd=%d, offset=%d)", address, length, prot, fd, offset),
                syscall(context.syscallNumber("mmap"), address, length, prot, Mman.MAP_SHARED | Mman.MAP_FIXED, fd, offset));
    }

    @Override
    public void unmap(long address, long length) {
        StubPageGuard.check(context.facts(), pid(), "unmap", address, length);
        checked(String.format("munmap(0x%x, %d)", address, length), syscall(context.syscallNumber("munmap"), address, length));
    }

    @Override
    public void protect(long address, long length, int prot) {
        StubPageGuard.check(context.facts(), pid(), "protect", address, length);
        checked(String.format("mprotect(0x%x, %d, %d)", address, length, prot),
                syscall(context.syscallNumber("mprotect"), address, length, prot));
    }

    @Override
    public void read(long address, byte[] into, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, into.length);
        checkUsable();
        try {
            GuestMemory.read(pid(), address, into, offset, length);
        } catch (LinuxException e) {
            throw NativeErrors.api(e);
        }
    }

    @Override
    public void write(long address, byte[] from, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, from.length);
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
        List<StubThreadInfo> out = new ArrayList<>();
        for (Tracee t : all) {
            out.add(new StubThreadInfo(t.tid, t.tracer.getName(), -1));
        }
        return out;
    }

    // ---------------------------------------------------------------- life

    /** gVisor's subprocess.unmap, through the first thread: everything but the stub page goes. */
    void unmapAll() {
        long stub = context.facts().stubAddress();
        int munmap = context.syscallNumber("munmap");
        StubAddressSpace.unmapAllButStub(pid(), (at, len) -> injectFirst(munmap, at, len), stub,
                stub + context.facts().stubLength(), context.maximumUserAddress());
    }

    private void checkUsable() {
        if (death != null) {
            // a dead subprocess keeps reporting its death, also after it was reaped
            throw new StubDiedException("subprocess " + pid() + " is dead: " + death, pid(), pid(), 0);
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
     * Kills the process and reaps every stub thread of it this JVM traces, the ones we know and
     * any an injected clone added ({@link GroupReaper}, never blocking); the leader's zombie is
     * then left for its real parent, the master, which reaps it with an injected wait4
     * ({@code Forker.reapThroughMaster}). Runs on the owner, the leader's tracer, which alone can
     * resume its PTRACE_EVENT_EXIT stop.
     */
    void killAndReap() {
        destroyed = true;
        if (first.reaped()) {
            return;
        }
        List<Integer> tids = new ArrayList<>();
        for (Tracee t : all) {
            tids.add(t.tid);
        }
        int status = GroupReaper.killAndReap(pid(), tids, false);
        for (Tracee t : all) {
            t.markReaped(t == first && status != -1 ? status : Signals.SIGKILL);
        }
    }

    @Override
    public String toString() {
        return (master ? "master " : "subprocess ") + pid() + (alive() ? "" : " (" + death() + ")");
    }
}
