package dev.tether.core;

import dev.tether.abi.Clone;
import dev.tether.abi.Errno;
import dev.tether.abi.Ptrace;
import dev.tether.abi.Signals;
import dev.tether.api.Registers;
import dev.tether.api.StubDiedException;
import dev.tether.api.StubThreadInfo;
import dev.tether.api.TetherException;
import dev.tether.linux.LinuxException;
import dev.tether.linux.Sys;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The stub threads of one subprocess and who traces each (gVisor's {@code subprocess.syscallThreads}
 * and {@code sysemuThreads} in subprocess.go): the first thread, owned by a {@link TracerThread},
 * which clones the others; one injection thread and one guest (SYSEMU) thread per calling platform
 * thread, which that thread traces itself, so that injections need no hand-off; the spare kept ready
 * for the next new caller ({@link SpareThread}). It knows nothing of the subprocess's life: a death
 * it sees goes to {@code onDeath}, and {@code unwanted} says when no spare should be made any more.
 */
final class StubThreads {
    final Tracee first;
    final TracerThread owner;
    private final PlatformContext context;
    private final boolean master;
    private final Consumer<StubDiedException> onDeath;
    private final BooleanSupplier unwanted;
    private final Map<Thread, Tracee> byCaller = new ConcurrentHashMap<>();
    private final Map<Thread, Tracee> sysemuByCaller = new ConcurrentHashMap<>();
    private final List<Tracee> all = new CopyOnWriteArrayList<>();
    /** A detached stub thread in group-stop for the next new caller (see forCaller). */
    private final SpareThread spare = new SpareThread();
    /**
     * The subprocess runs untraced threads (the trap platform's guests, {@code StubThreadsImpl}): a
     * group stop would stop them too, and nothing would continue them. So no spare is parked in
     * group-stop, and the group stop of each new stub thread's hand-off is ended with a SIGCONT once
     * its caller attached it (signal(7): SIGCONT continues every stopped thread of the process).
     */
    volatile boolean untraced;

    /**
     * @param master the master stub: only tracer threads use it, each once, so it keeps no spare
     * @param onDeath told of a stub thread's death, before the exception is thrown on
     * @param unwanted whether the subprocess is past wanting a spare (dead, destroyed or pooled)
     */
    StubThreads(PlatformContext context, Tracee first, TracerThread owner, boolean master,
            Consumer<StubDiedException> onDeath, BooleanSupplier unwanted) {
        this.context = context;
        this.first = first;
        this.owner = owner;
        this.master = master;
        this.onDeath = onDeath;
        this.unwanted = unwanted;
        all.add(first);
    }

    private int pid() {
        return first.tgid;
    }

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
    Tracee forCaller(Thread caller) {
        return lookupOrCreate(byCaller, caller);
    }

    /**
     * The calling thread's stub thread for running guest code (gVisor's {@code sysemuThreads}, kept
     * apart from the {@code syscallThreads} that {@link #forCaller} serves: a guest's registers
     * never meet an injection's). Created on first use like {@link #forCaller}'s.
     */
    Tracee sysemuForCaller(Thread caller) {
        return lookupOrCreate(sysemuByCaller, caller);
    }

    /** {@code caller}'s stub thread in {@code threads}, made on first use (only {@code caller} adds its own). */
    private Tracee lookupOrCreate(Map<Thread, Tracee> threads, Thread caller) {
        Tracee t = threads.get(caller);
        if (t != null) {
            return t;
        }
        Tracee nt = newCallerThread(caller);
        threads.put(caller, nt);
        return nt;
    }

    /**
     * A stub thread for another guest platform (core's {@code StubThreadsImpl}): made like a caller's own,
     * but registered for no caller; {@link #forget} drops it once it is detached.
     */
    Tracee newDetachable(Thread caller) {
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
            onDeath.accept(e);
            throw e;
        } catch (LinuxException e) {
            // ESRCH: the thread is gone, so the process was killed meanwhile
            StubDiedException d = new StubDiedException("subprocess " + pid() + ": its stub thread " + tid
                    + " could not be attached (" + e.getMessage() + "): the subprocess was killed", pid(), tid, 0);
            d.addSuppressed(e);
            onDeath.accept(d);
            throw d;
        }
        nt.setInitRegs(first.initRegs());
        all.add(nt);
        if (untraced) {
            Sys.kill(pid(), Signals.SIGCONT);
        }
        prepareSpare();
        return nt;
    }

    /** Asks the owner to clone a spare stub thread in the background, unless one is ready or coming. */
    private void prepareSpare() {
        if (master || untraced) {
            return; // only tracer threads use the master, each once; untraced threads: see untraced
        }
        spare.prepare(owner, unwanted, this::cloneThread);
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
            onDeath.accept(d);
            throw d;
        }
    }

    /** Every stub thread with its tracer's name, for {@code Subprocess.threads()}. */
    List<StubThreadInfo> info() {
        List<StubThreadInfo> out = new ArrayList<>();
        for (Tracee t : all) {
            out.add(new StubThreadInfo(t.tid, t.tracer.getName(), -1));
        }
        return out;
    }

    /**
     * Kills the process and reaps every stub thread of it this JVM traces, the ones we know and
     * any an injected clone added ({@link GroupReaper}, never blocking); the leader's zombie is
     * then left for its real parent, the master, which reaps it with an injected wait4
     * ({@code Forker.reapThroughMaster}). Runs on the owner, the leader's tracer, which alone can
     * resume its PTRACE_EVENT_EXIT stop.
     */
    void killAndReap() {
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
}
