package dev.tether.core;

import dev.tether.abi.Errno;
import dev.tether.abi.Ptrace;
import dev.tether.abi.Signals;
import dev.tether.abi.Wait;
import dev.tether.api.Registers;
import dev.tether.api.StubDiedException;
import dev.tether.api.TetherException;
import dev.tether.linux.LinuxException;
import dev.tether.linux.NativeMemory;
import dev.tether.linux.Sys;
import dev.tether.spi.RegisterLayout;
import java.util.function.LongFunction;

/**
 * One traced stub thread (gVisor's {@code thread}): the ptrace protocol of spec §1. Every method
 * except the getters must run on the owner thread.
 */
final class Tracee {
    /** Wait options for every tracee wait: __WALL (clone children too) | WUNTRACED (spec §1.1). */
    static final int WAIT_OPTIONS = Wait.__WALL | Wait.WUNTRACED;
    /** PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXIT | PTRACE_O_EXITKILL = 0x100041 (spec §1.2). */
    static final long OPTIONS = Ptrace.PTRACE_O_TRACESYSGOOD | Ptrace.PTRACE_O_TRACEEXIT | Ptrace.PTRACE_O_EXITKILL;
    /** A syscall-stop's signal with TRACESYSGOOD: SIGTRAP | 0x80. */
    static final int SYSCALL_STOP = Signals.SIGTRAP | 0x80;

    /** Register scratch per tracing thread; large enough for any NT_PRSTATUS set (arm64: 272). */
    private static final ThreadLocal<NativeMemory> REGS = ThreadLocal.withInitial(() -> NativeMemory.allocate(512));

    final int tgid;
    final int tid;
    /** The OS thread that traces this thread: the only one that may ptrace it. */
    final Thread tracer;
    /** The tracer as a {@link TracerThread} to marshal work to, or null for a caller-owned stub thread. */
    final TracerThread owner;
    final RegisterLayout layout;
    private Registers initRegs;
    /**
     * The injection fast path's state, confined to the tracer: the words of {@link #initRegs}, the
     * scratch words of the next injection, and whether the layout's createSyscallRegs is exactly
     * "the init words with the number and arguments at their indices" (checked once per init set;
     * otherwise every injection goes through createSyscallRegs).
     */
    private long[] initWords;
    private long[] scratch;
    private boolean plainSyscallRegs;
    private int[] argIndex;
    /** The CPU this thread was last bound to (spec §1.12), or -1. */
    private int boundCpu = -1;
    /** The unexpected fault stops of the current injection (see runToBreakpoint). */
    private final FaultWatch faults = new FaultWatch();
    private volatile boolean alive = true;
    /** Set once this thread's final status has been collected: nothing is left to reap. */
    private volatile boolean reaped;
    private volatile String death;
    private volatile int deathStatus;

    Tracee(int tgid, int tid, TracerThread owner, RegisterLayout layout) {
        this(tgid, tid, owner, Thread.currentThread(), layout);
    }

    /** A tracee traced by the calling thread (which need not be a TracerThread). */
    Tracee(int tgid, int tid, TracerThread owner, Thread tracer, RegisterLayout layout) {
        this.tgid = tgid;
        this.tid = tid;
        this.owner = owner;
        this.tracer = tracer;
        this.layout = layout;
    }

    /** Fails unless called on the tracing thread (DESIGN rule 4). */
    void assertTracer() {
        if (Thread.currentThread() != tracer) {
            throw new IllegalStateException("ptrace call on stub thread " + tid + " from " + Thread.currentThread().getName()
                    + " instead of its tracer " + tracer.getName());
        }
    }

    boolean alive() {
        return alive;
    }

    String death() {
        return death;
    }

    Registers initRegs() {
        return initRegs;
    }

    void setInitRegs(Registers r) {
        this.initRegs = r;
        this.initWords = null; // the fast path re-derives its words on the tracer
    }

    /** Prepares the fast path for the current {@link #initRegs} (on the tracer, once per set). */
    private void prepareFastPath() {
        Registers init = initRegs;
        long[] words = init.words();
        int n = 6; // a syscall's arguments (RegisterLayout.argumentIndex: 0..5)
        int[] idx = new int[n];
        long[] probeArgs = new long[n];
        long[] expect = words.clone();
        // Distinct marker values, so that a layout that moves or derives words is noticed.
        long marker = 0x5a5a_0000_0000_0001L;
        expect[layout.syscallNumberIndex()] = marker;
        for (int i = 0; i < n; i++) {
            idx[i] = layout.argumentIndex(i);
            probeArgs[i] = marker + 1 + i;
            expect[idx[i]] = probeArgs[i];
        }
        long[] got = layout.createSyscallRegs(init, marker, probeArgs).words();
        this.plainSyscallRegs = java.util.Arrays.equals(expect, got);
        this.argIndex = idx;
        this.scratch = new long[words.length];
        this.initWords = words;
    }

    /**
     * wait(stopped) of spec §1.1: the next stop's signal (with the ptrace event in bits 8..15 for
     * SIGTRAP). A death (PTRACE_EVENT_EXIT or an exit status) marks the tracee dead and throws.
     */
    int waitStopped(String during) {
        assertTracer();
        return waitStop(during, null, 0);
    }

    /**
     * wait(stopped) with the description of what was going on built only if the thread died:
     * {@code during}, or else {@code describe.apply(sysno)}.
     */
    private int waitStop(String during, LongFunction<String> describe, long sysno) {
        if (tid == tgid) {
            return pollLeader(during, describe, sysno);
        }
        while (true) {
            int sig = decodeStop(wait(WAIT_OPTIONS, during, describe, sysno), during, describe, sysno);
            if (sig != 0) {
                return sig;
            }
        }
    }

    /**
     * The wait for a thread group leader's next stop, which never blocks in wait4: a leader
     * killed while it runs (from outside, or by EXITKILL when a thread that used its process
     * ended) passes its PTRACE_EVENT_EXIT stop and is then only reported once every other thread
     * of its group has been reaped (ptrace(2), BUGS), and those are traced by other Java threads,
     * which may be idle forever. So this polls with WNOHANG (yielding first: the stub usually
     * stops within microseconds), and once that takes a while, reaps the group's threads that
     * have exited (waitid WEXITED only, which leaves live threads and their stops alone; their
     * tracers then see ECHILD, a death).
     */
    private int pollLeader(String during, LongFunction<String> describe, long sysno) {
        int rounds = 0;
        while (true) {
            int status = wait(WAIT_OPTIONS | Wait.WNOHANG, during, describe, sysno);
            if (status != -1) {
                int sig = decodeStop(status, during, describe, sysno);
                if (sig != 0) {
                    return sig;
                }
                continue;
            }
            rounds++;
            if (rounds <= 32) {
                Sys.yield();
                continue;
            }
            GroupReaper.reapExitedThreads(tgid, tid);
            java.util.concurrent.locks.LockSupport.parkNanos(Math.min(1_000_000L, 20_000L << Math.min(6, (rounds - 32) / 4)));
        }
    }

    /**
     * wait4 on this thread. ECHILD means another thread of the JVM reaped it meanwhile: a
     * teardown ({@link GroupReaper}) that killed the process while this thread was waiting for
     * its stop, which is a death like any other, not a raw errno for the caller.
     */
    private int wait(int options, String during, LongFunction<String> describe, long sysno) {
        try {
            return Sys.wait4(tid, options);
        } catch (LinuxException e) {
            if (e.errno() != Errno.ECHILD) {
                throw e;
            }
            reaped = true;
            markDead(Signals.SIGKILL);
            death = "killed and reaped by a teardown";
            String d = during(during, describe, sysno);
            return throwDied(new StubDiedException("stub " + tgid + (tid != tgid ? " thread " + tid : "") + " was "
                    + death + (d == null ? "" : " during " + d), tgid, tid, Signals.SIGKILL));
        }
    }

    private static int throwDied(StubDiedException e) {
        throw e;
    }

    /** Decodes a wait status per spec §1.1: 0 for a spurious stop; a death throws. */
    private int decodeStop(int status, String during, LongFunction<String> describe, long sysno) {
        if (!Wait.stopped(status)) {
            reaped = true; // this wait consumed its final status
            throw died(status, during(during, describe, sysno));
        }
        int sig = Wait.stopSignal(status);
        if (sig == 0) {
            return 0; // spurious stop (spec §1.1)
        }
        if (sig == Signals.SIGTRAP) {
            int event = Wait.ptraceEvent(status);
            if (event == Ptrace.PTRACE_EVENT_EXIT) {
                throw exitEvent(during(during, describe, sysno));
            }
            return Signals.SIGTRAP | (event << 8);
        }
        return sig;
    }

    /**
     * The wait right after a resume, without sleeping in wait4 when it can be helped. The stub
     * is bound to this thread's CPU ({@link #bind}); usually it preempts us at once and has
     * already stopped again when PTRACE_CONT returns, which a WNOHANG wait4 sees. Otherwise we
     * yield the CPU to it before waiting: a thread that sleeps in wait4 is woken by the stopping
     * stub wherever the scheduler likes, often on the other, idle CPU (an expensive wake-up in a
     * VM), and then the stub is re-bound there. Measured (tether bench, 2-vCPU VM): blocking wait
     * alone: inject p90 ~37 µs; poll, yield, wait: p90 ~10 µs, like the pinned native floor.
     */
    private int waitAfterResume(String during, LongFunction<String> describe, long sysno) {
        int status = wait(WAIT_OPTIONS | Wait.WNOHANG, during, describe, sysno);
        if (status == -1) {
            Sys.yield();
            return waitStop(during, describe, sysno);
        }
        int sig = decodeStop(status, during, describe, sysno);
        return sig != 0 ? sig : waitStop(during, describe, sysno);
    }

    private static String during(String during, LongFunction<String> describe, long sysno) {
        return during != null ? during : describe != null ? describe.apply(sysno) : null;
    }

    /** PTRACE_ATTACH + the SIGSTOP stop + PTRACE_SETOPTIONS (spec §1.2). */
    void attach() {
        attach(OPTIONS);
    }

    /**
     * Attach with the given options. Stub threads traced by callers (not by a TracerThread) are
     * attached without PTRACE_O_TRACEEXIT: a SIGKILLed tracee blocks in its PTRACE_EVENT_EXIT stop
     * until its own tracer resumes it, and only the owner thread tears subprocesses down.
     */
    void attach(long options) {
        assertTracer();
        Sys.ptrace(Ptrace.PTRACE_ATTACH, tid, 0, 0);
        int sig = waitStopped("attach");
        if (sig != Signals.SIGSTOP) {
            throw new TetherException("attach to " + tid + ": expected a SIGSTOP stop, got " + Signals.name(sig & 0xff));
        }
        Sys.ptrace(Ptrace.PTRACE_SETOPTIONS, tid, 0, options);
    }

    /**
     * Binds this thread to the calling thread's CPU now, before it is attached: PTRACE_ATTACH of
     * a stopped thread makes it trap again, which then happens on this CPU (no cross-CPU wake-up).
     */
    void bindHere() {
        boundCpu = -1;
        bind();
    }

    /** Options for caller-owned stub threads: TRACESYSGOOD | EXITKILL (no TRACEEXIT, see attach). */
    static final long CALLER_OPTIONS = Ptrace.PTRACE_O_TRACESYSGOOD | Ptrace.PTRACE_O_EXITKILL;

    Registers getRegs() {
        assertTracer();
        NativeMemory buf = REGS.get();
        Sys.getRegset(tid, Ptrace.NT_PRSTATUS, buf, layout.regsetSize());
        long[] words = new long[layout.names().size()];
        buf.getLongs(0, words);
        return layout.wrap(words);
    }

    void setRegs(Registers regs) {
        assertTracer();
        NativeMemory buf = REGS.get();
        buf.putLongs(0, regs.words());
        Sys.setRegset(tid, Ptrace.NT_PRSTATUS, buf, layout.regsetSize());
    }

    /** grabInitRegs (spec §1.5): the current registers with the IP moved back onto the syscall instruction. */
    void grabInitRegs() {
        Registers r = getRegs();
        int ip = layout.instructionPointerIndex();
        setInitRegs(r.with(ip, r.get(ip) - layout.syscallInstructionLength()));
    }

    /**
     * syscall(regs) of spec §1.6: set the registers, PTRACE_CONT until the stub traps after the
     * syscall (signal stops in between are discarded), read the registers back.
     */
    Registers syscall(Registers regs, String during) {
        try {
            setRegs(regs);
            bind();
            runToBreakpoint(during, null, 0);
            return getRegs();
        } catch (LinuxException e) {
            throw vanished(e, during, null, 0);
        }
    }

    /**
     * A ptrace request on this thread failed. ESRCH means it is not in a ptrace-stop although we
     * left it in one: it was killed meanwhile (a SIGKILL from outside, between injections) and is
     * on its way out, so wait for its end and report that death instead.
     */
    private RuntimeException vanished(LinuxException e, String during, LongFunction<String> describe, long sysno) {
        if (e.errno() != Errno.ESRCH) {
            return e;
        }
        try {
            waitStop(during, describe, sysno);
        } catch (StubDiedException d) {
            return d;
        } catch (LinuxException w) {
            e.addSuppressed(w);
        }
        return e;
    }

    /**
     * PTRACE_CONT until the stub traps at its breakpoint after the syscall (spec §1.6). Signal
     * stops on the way are discarded by resuming with data 0, as gVisor does: SIGSTOP (left over
     * from an attach or a group-stop), SIGCHLD (an injected wait4's child stopped), and whatever
     * else the kernel throws in (this machine's kernel, for one, raises a one-off SIGILL for the
     * unassigned syscall 335, see KernelQuirks in the tests); the kernel restarts the syscall.
     * A real fault (SIGSEGV, SIGBUS, SIGILL, SIGFPE) cannot be discarded, though: the thread
     * would fault again at once, forever. So the registers at a fault stop are kept, and the same
     * fault at the same instruction {@value FaultWatch#REPEATS} times in a row is fatal: the stub is
     * SIGKILLed (as delivering the fault would kill it, every disposition being SIG_DFL there,
     * DESIGN rule 3, but without a core dump) and the error carries those registers.
     */
    private void runToBreakpoint(String during, LongFunction<String> describe, long sysno) {
        faults.reset();
        while (true) {
            Sys.ptrace(Ptrace.PTRACE_CONT, tid, 0, 0); // data 0: any signal stop is discarded
            int sig = waitAfterResume(during, describe, sysno);
            if (sig == Signals.SIGTRAP) {
                faults.reset(); // a discarded one-off fault is no news once the syscall is done
                return;
            }
            if (FaultWatch.isFault(sig)) {
                Registers regs;
                try {
                    regs = getRegs();
                } catch (LinuxException e) {
                    regs = null;
                }
                if (faults.record(sig, regs, layout.instructionPointerIndex())) {
                    // Fatal. SIGKILL rather than delivering the fault: same end, no core dump.
                    try {
                        Sys.tgkill(tgid, tid, Signals.SIGKILL);
                    } catch (LinuxException e) {
                        // already gone: the wait below says how
                    }
                }
            }
        }
    }

    /**
     * bind() of spec §1.12 (gVisor until 2020-09): runs this stub thread on the CPU its tracer is
     * on now. Tracer and tracee take turns, never run at once, so one CPU serves both; left to the
     * scheduler, a resumed stub is often woken on the other (idle) CPU, and every injection pays
     * two cross-CPU wake-ups (about 5x slower in a VM: the native floor's inject_cont is ~10 µs
     * pinned and ~50 µs unpinned on this kind of machine). Re-bound only when the tracer moved;
     * failures (a cpuset without that CPU) only cost speed.
     */
    void bind() {
        int cpu = Sys.currentCpu();
        if (cpu != boundCpu && cpu >= 0 && cpu < Sys.MAX_BIND_CPUS) {
            boundCpu = cpu;
            try {
                Sys.bindToCpu(tid, cpu);
            } catch (LinuxException e) {
                // not allowed here: the stub runs wherever the scheduler puts it
            }
        }
    }

    /**
     * A ptrace request on this thread failed with {@code e}: the death it means (ESRCH: the thread
     * was killed meanwhile; this waits for its end), or {@code e} itself.
     */
    RuntimeException lost(LinuxException e, String during) {
        return vanished(e, during, null, 0);
    }

    /**
     * Resumes this thread with {@code request} (PTRACE_SYSEMU, PTRACE_SYSEMU_SINGLESTEP) and waits
     * for its next stop; signal stops are discarded by the resume (data 0). A death throws
     * {@link StubDiedException}. (A thread group leader's wait still polls: {@link #pollLeader}.)
     */
    int resume(int request, String during) {
        assertTracer();
        try {
            Sys.ptrace(request, tid, 0, 0);
            // A plain (blocking) wait, not waitAfterResume's poll and yield: guest code runs for a
            // while before it stops, so the poll misses and costs two more kernel entries per
            // switch (measured: 5.4 -> 4.8 us a switch, the floor's ptrace_sysemu 3.5 us).
            return waitStop(during, null, 0);
        } catch (LinuxException e) {
            throw vanished(e, during, null, 0);
        }
    }

    /** syscallIgnoreInterrupt (spec §1.7): raw result, -errno on failure; restarts retried. */
    long inject(long sysno, long[] args, String during) {
        return inject(sysno, args, during, null);
    }

    /**
     * {@link #inject(long, long[], String)} describing the syscall with {@code describe} only
     * when an error is thrown. The hot path: no Java object is allocated, and the native work is
     * SETREGSET, PTRACE_CONT, wait4, GETREGSET (plus sched_getcpu for {@link #bind}).
     */
    long inject(long sysno, long[] args, LongFunction<String> describe) {
        return inject(sysno, args, null, describe);
    }

    private long inject(long sysno, long[] args, String during, LongFunction<String> describe) {
        assertTracer();
        if (initWords == null) {
            prepareFastPath();
        }
        if (!plainSyscallRegs || args.length > argIndex.length) {
            return injectAdjusted(r -> r, sysno, args, during(during, describe, sysno));
        }
        NativeMemory buf = REGS.get();
        int size = layout.regsetSize();
        int ret = layout.returnValueIndex();
        while (true) {
            long[] w = scratch;
            System.arraycopy(initWords, 0, w, 0, w.length);
            w[layout.syscallNumberIndex()] = sysno;
            for (int i = 0; i < argIndex.length; i++) {
                w[argIndex[i]] = i < args.length ? args[i] : 0; // arguments not given are zero
            }
            buf.putLongs(0, w);
            try {
                Sys.setRegset(tid, Ptrace.NT_PRSTATUS, buf, size);
                bind();
                runToBreakpoint(during, describe, sysno);
                Sys.getRegset(tid, Ptrace.NT_PRSTATUS, buf, size);
            } catch (LinuxException e) {
                throw vanished(e, during, describe, sysno);
            }
            long r = buf.getLong(8L * ret);
            if (r == -Errno.ERESTARTSYS || r == -Errno.ERESTARTNOINTR || r == -Errno.ERESTARTNOHAND) {
                continue;
            }
            return r;
        }
    }

    /** {@link #inject} with the syscall registers passed through {@code adjust} first. */
    long injectAdjusted(java.util.function.UnaryOperator<Registers> adjust, long sysno, long[] args, String during) {
        while (true) {
            Registers regs = adjust.apply(layout.createSyscallRegs(initRegs, sysno, args));
            long r = layout.syscallReturnValue(syscall(regs, during));
            if (r == -Errno.ERESTARTSYS || r == -Errno.ERESTARTNOINTR || r == -Errno.ERESTARTNOHAND) {
                continue;
            }
            return r;
        }
    }

    /** A PTRACE_EVENT_EXIT stop: the thread is dying; let it go, reap it and report why. */
    private StubDiedException exitEvent(String during) {
        int msg;
        try {
            msg = (int) Sys.getEventMessage(tid);
        } catch (LinuxException e) {
            msg = 0x7f; // unknown
        }
        // The dying thread's registers are still readable in this stop (spec §1.10 dumps them too).
        Registers regs;
        try {
            regs = getRegs();
        } catch (LinuxException e) {
            regs = null;
        }
        int status = msg;
        try {
            Sys.ptrace(Ptrace.PTRACE_CONT, tid, 0, 0);
            int st = reapIfReady();
            if (st != -1) {
                status = st;
            }
        } catch (LinuxException e) {
            // already gone
        }
        String where = regs == null ? "" : "\nregisters at its PTRACE_EVENT_EXIT stop:\n" + regs;
        return died(status == -1 ? msg : status, during, where);
    }

    private StubDiedException died(int status, String during) {
        return died(status, during, "");
    }

    private StubDiedException died(int status, String during, String registers) {
        markDead(status);
        return new StubDiedException("stub " + tgid + (tid != tgid ? " thread " + tid : "") + " " + death
                + (during == null ? "" : " during " + during) + faults.describe() + registers, tgid, tid, status);
    }

    void markDead(int status) {
        deathStatus = status;
        death = Wait.describe(status);
        alive = false;
    }

    int deathStatus() {
        return deathStatus;
    }

    /**
     * Reaps this thread if its end can be reported within a few yields, resuming stops on the
     * way; -1 if not (yet). Never blocks: a leader's exit is only reported once its other threads
     * are reaped, and those may be traced by idle Java threads ({@link GroupReaper}, which the
     * teardown that follows a death runs).
     */
    int reapIfReady() {
        assertTracer();
        for (int i = 0; i < 16; i++) {
            int status;
            try {
                status = Sys.wait4(tid, WAIT_OPTIONS | Wait.WNOHANG);
            } catch (LinuxException e) {
                if (e.errno() == Errno.ECHILD) {
                    reaped = true;
                    return -1;
                }
                throw e;
            }
            if (status == -1) {
                Sys.yield();
                continue;
            }
            if (!Wait.stopped(status)) {
                reaped = true;
                return status;
            }
            try {
                Sys.ptrace(Ptrace.PTRACE_CONT, tid, 0, 0);
            } catch (LinuxException e) {
                if (e.errno() != Errno.ESRCH) {
                    throw e;
                }
            }
        }
        return -1;
    }

    /**
     * SIGKILL the thread group and reap it (idempotent), never blocking ({@link GroupReaper}):
     * threads the stub cloned with CLONE_PTRACE are our tracees too and must be reaped before the
     * leader can be, and so are children in its process group (its own, from setsid).
     */
    void kill() {
        assertTracer();
        if (reaped) {
            return;
        }
        int status = GroupReaper.killAndReap(tgid, java.util.List.of(tid), true);
        reaped = true;
        if (alive) {
            markDead(status == -1 ? Signals.SIGKILL : status);
            death = "killed by Tether (" + death + ")";
        }
    }

    /** Whether this thread's final status was collected (by a wait here or a teardown). */
    boolean reaped() {
        return reaped;
    }

    /** Records that a teardown ({@link GroupReaper}) collected this thread. */
    void markReaped(int status) {
        reaped = true;
        if (alive) {
            markDead(status);
        }
    }
}
