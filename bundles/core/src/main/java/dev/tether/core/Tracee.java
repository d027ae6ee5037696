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
import java.util.function.Supplier;

/**
 * One traced stub thread (gVisor's {@code thread}): the ptrace protocol of gVisor's subprocess.go. Every method
 * except the getters must run on the owner thread.
 */
final class Tracee {
    /** PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXIT | PTRACE_O_EXITKILL = 0x100041 (gVisor's
     * thread.attach; ptrace(2), PTRACE_SETOPTIONS). */
    static final long OPTIONS = Ptrace.PTRACE_O_TRACESYSGOOD | Ptrace.PTRACE_O_TRACEEXIT | Ptrace.PTRACE_O_EXITKILL;
    /** A syscall-stop's signal with TRACESYSGOOD: SIGTRAP | 0x80. */
    static final int SYSCALL_STOP = Signals.SIGTRAP | 0x80;

    /**
     * Register scratch per tracing thread, for PTRACE_GETREGSET/SETREGSET: as large as the largest
     * register set (the layout's {@link SyscallRegs#regsetSize()}) this thread has moved.
     */
    private static final ThreadLocal<NativeMemory[]> REGS = ThreadLocal.withInitial(() -> new NativeMemory[1]);

    final int tgid;
    final int tid;
    /** The OS thread that traces this thread: the only one that may ptrace it. */
    final Thread tracer;
    /** The tracer as a {@link TracerThread} to marshal work to, or null for a caller-owned stub thread. */
    final TracerThread owner;
    /** The arch's register layout, with core's createSyscallRegs over it. */
    final SyscallRegs regs;
    private Registers initRegs;
    /**
     * The words of {@link #initRegs} and the scratch words of the next injection, confined to the
     * tracer, so that an injection allocates nothing.
     */
    private long[] initWords;
    private final long[] scratch;
    /** The CPU this thread was last bound to (gVisor's thread.cpu and thread.bind, removed
     * in 2020-09), or -1. */
    private int boundCpu = -1;
    /** The unexpected fault stops of the current injection (see {@link Breakpoints}). */
    private final FaultWatch faults = new FaultWatch();
    /** Alive or how it died, and whether its end was collected. */
    private final TraceeState state = new TraceeState();
    /** The waits for this thread's stops and end. */
    final StopWaiter waits;
    /** The stops of an injection on this thread, up to its breakpoint. */
    private final Breakpoints breakpoints;

    Tracee(int tgid, int tid, TracerThread owner, SyscallRegs regs) {
        this(tgid, tid, owner, Thread.currentThread(), regs);
    }

    /** A tracee traced by the calling thread (which need not be a TracerThread). */
    Tracee(int tgid, int tid, TracerThread owner, Thread tracer, SyscallRegs regs) {
        this.tgid = tgid;
        this.tid = tid;
        this.owner = owner;
        this.tracer = tracer;
        this.regs = regs;
        this.scratch = new long[regs.words()];
        Supplier<Registers> registers = this::getRegs;
        this.waits = new StopWaiter(tgid, tid, state, faults, registers);
        this.breakpoints = new Breakpoints(tgid, tid, waits, faults, registers, regs.layout.instructionPointerIndex(),
                regs.roundTrip);
    }

    /** This thread's register scratch, at least {@code size} bytes. */
    private static NativeMemory regsBuffer(int size) {
        NativeMemory[] held = REGS.get();
        NativeMemory m = held[0];
        if (m == null || m.size() < size) {
            if (m != null) {
                m.close();
            }
            m = NativeMemory.allocate(size);
            held[0] = m;
        }
        return m;
    }

    /** Fails unless called on the tracing thread (docs/architecture.md, section 4). */
    void assertTracer() {
        if (Thread.currentThread() != tracer) {
            throw new IllegalStateException("ptrace call on stub thread " + tid + " from " + Thread.currentThread().getName()
                    + " instead of its tracer " + tracer.getName());
        }
    }

    boolean alive() {
        return state.alive();
    }

    String death() {
        return state.death();
    }

    /** The words of {@link #initRegs()}, not a copy: callers must not change them. */
    long[] initWordsUnsafe() {
        return initWords;
    }

    Registers initRegs() {
        return initRegs;
    }

    void setInitRegs(Registers r) {
        this.initRegs = r;
        this.initWords = r.words();
    }

    /**
     * gVisor's thread.wait(stopped): the next stop's signal (with the ptrace event in bits 8..15 for
     * SIGTRAP). A death (PTRACE_EVENT_EXIT or an exit status) marks the tracee dead and throws a
     * {@link StubDeath}, to which the caller adds what it was doing.
     */
    int waitStopped() {
        assertTracer();
        return waits.waitStop();
    }

    /** PTRACE_ATTACH + the SIGSTOP stop + PTRACE_SETOPTIONS (gVisor's thread.attach). */
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
        int sig;
        try {
            sig = waitStopped();
        } catch (StubDiedException e) {
            throw StubDeath.during(e, "attach");
        }
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
        int size = regs.regsetSize();
        NativeMemory buf = regsBuffer(size);
        Sys.getRegset(tid, Ptrace.NT_PRSTATUS, buf, size);
        long[] words = new long[regs.words()];
        buf.getLongs(0, words);
        return regs.layout.wrap(words);
    }

    void setRegs(Registers r) {
        assertTracer();
        int size = regs.regsetSize();
        NativeMemory buf = regsBuffer(size);
        buf.putLongs(0, r.words());
        Sys.setRegset(tid, Ptrace.NT_PRSTATUS, buf, size);
    }

    /** gVisor's thread.grabInitRegs (subprocess.go): the current registers with the IP moved back onto the syscall instruction. */
    void grabInitRegs() {
        Registers r = getRegs();
        int ip = regs.layout.instructionPointerIndex();
        setInitRegs(r.with(ip, r.get(ip) - regs.layout.syscallInstructionLength()));
    }

    /**
     * gVisor's thread.syscall(regs) with registers of the caller's making (a test's jump elsewhere):
     * set them, PTRACE_CONT until the stub traps after the syscall (signal stops in between are
     * discarded), read the registers back. Injections use {@link #inject}.
     */
    Registers syscall(Registers r, String during) {
        try {
            setRegs(r);
            bind();
            breakpoints.run();
            return getRegs();
        } catch (LinuxException e) {
            RuntimeException v = vanished(e);
            throw v instanceof StubDiedException d ? StubDeath.during(d, during) : v;
        } catch (StubDiedException e) {
            throw StubDeath.during(e, during);
        }
    }

    /**
     * A ptrace request on this thread failed. ESRCH means it is not in a ptrace-stop although we
     * left it in one: it was killed meanwhile (a SIGKILL from outside, between injections) and is
     * on its way out, so wait for its end and report that death instead.
     */
    private RuntimeException vanished(LinuxException e) {
        if (e.errno() != Errno.ESRCH) {
            return e;
        }
        try {
            waits.waitStop();
        } catch (StubDiedException d) {
            return d;
        } catch (LinuxException w) {
            e.addSuppressed(w);
        }
        return e;
    }

    /**
     * gVisor's thread.bind() (subprocess_linux.go until commit f3172c3a1, 2020-09): runs this stub thread on the CPU its tracer is
     * on now. Tracer and tracee take turns, never run at once, so one CPU serves both; left to the
     * scheduler, a resumed stub is often woken on the other (idle) CPU, and every injection pays
     * two cross-CPU wake-ups (about 5x slower in a VM: the native floor's inject_cont is ~10 µs
     * pinned and ~50 µs unpinned on this kind of machine). Re-bound only when the tracer moved;
     * failures (a cpuset without that CPU) only cost speed.
     */
    void bind() {
        bind(Sys.currentCpu());
    }

    /** {@link #bind()} to {@code cpu}, the CPU the tracer is known to be bound to (a pinned guest switch). */
    void bind(int cpu) {
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
     * was killed meanwhile; this waits for its end), described as during {@code during}, or
     * {@code e} itself.
     */
    RuntimeException lost(LinuxException e, String during) {
        RuntimeException v = vanished(e);
        return v instanceof StubDiedException d ? StubDeath.during(d, during) : v;
    }

    /**
     * Resumes this thread with {@code request} (PTRACE_SYSEMU, PTRACE_SYSEMU_SINGLESTEP) and waits
     * for its next stop; signal stops are discarded by the resume (data 0). A death throws
     * {@link StubDiedException}, saying it happened during {@code during}. (A thread group
     * leader's wait still polls: {@link StopWaiter}.)
     */
    int resume(int request, String during) {
        return resume(request, during, false);
    }

    /**
     * {@link #resume(int, String)}; {@code tracerPinned}: the calling tracer is bound to the CPU
     * this thread is bound to, so that a blocking wait4 can only be woken there, and the
     * yield-first wait (one more kernel entry per stop, see {@link StopWaiter#yieldThenWait}) is
     * not needed.
     */
    int resume(int request, String during, boolean tracerPinned) {
        assertTracer();
        try {
            Sys.ptrace(request, tid, 0, 0);
            return tracerPinned ? waits.waitStop() : waits.yieldThenWait();
        } catch (LinuxException e) {
            throw lost(e, during);
        } catch (StubDiedException e) {
            throw StubDeath.during(e, during);
        }
    }

    /**
     * Runs round trip {@code r} (its sets, the resume, the wait, its gets) on this thread, in the
     * platform's round trip code if it has one, and returns the stop as {@link #resume(int, String)}
     * does, with {@link RoundTrip#STALE} set when the gets did not read that stop. Not for a thread
     * group leader (its wait must not block: {@link StopWaiter}).
     */
    int resume(RoundTrip r, String during) {
        assertTracer();
        if (tid == tgid) {
            throw new IllegalStateException("a round trip on thread group leader " + tid + ", whose wait must not block");
        }
        try {
            return waits.roundTrip(r, regs.roundTrip);
        } catch (LinuxException e) {
            throw lost(e, during);
        } catch (StubDiedException e) {
            throw StubDeath.during(e, during);
        }
    }

    /** {@link #inject(long, long[], long)} without a fork: no stub parent pid to set. */
    static final long NO_CHILD = -1;

    /** gVisor's thread.syscallIgnoreInterrupt (subprocess.go): raw result, -errno on failure; restarts retried. */
    long inject(long sysno, long[] args) {
        return inject(sysno, args, NO_CHILD);
    }

    /**
     * The one injection path: core's createSyscallRegs ({@link SyscallRegs#fill}) from the
     * initial registers, and for an injected clone that forks a subprocess ({@code childPpid}
     * not {@link #NO_CHILD}) initChildProcessPPID with the parent the child must see; then
     * SETREGSET, PTRACE_CONT to the breakpoint, GETREGSET and the return register
     * ({@code syscallIgnoreInterrupt}: -ERESTARTSYS and its kin are retried). No Java object is
     * allocated: the native work is SETREGSET, PTRACE_CONT, wait4, GETREGSET of the words up to the
     * return register, one {@link RoundTrip} (one native call; call by call on a thread group leader),
     * plus sched_getcpu for {@link #bind}. A death throws a {@link StubDeath} without saying what was injected:
     * the caller that catches it adds that ({@link StubDeath#during}), only then.
     *
     * @throws IllegalArgumentException with more than six arguments
     */
    long inject(long sysno, long[] args, long childPpid) {
        assertTracer();
        SyscallRegs.checkArgs(args);
        int size = regs.regsetSize();
        NativeMemory buf = regsBuffer(size);
        long[] w = scratch;
        while (true) {
            regs.fill(initWords, w, sysno, args);
            if (childPpid != NO_CHILD) {
                regs.initChildProcessPPID(w, childPpid);
            }
            buf.putLongs(0, w);
            // Only the words up to the return register are read back: PTRACE_GETREGSET copies
            // iov_len bytes (a multiple of the regset's 8-byte element, ptrace_regset in
            // kernel/ptrace.c), so the kernel fills and copies less (amd64: 88 of 216 bytes; arm64: 8 of 272).
            long back = regs.returnValueOffset() + 8L;
            try {
                bind();
                if (tid == tgid) {
                    // a leader's wait must not block (StopWaiter.pollLeader): call by call
                    Sys.setRegset(tid, Ptrace.NT_PRSTATUS, buf, size);
                    breakpoints.run();
                    Sys.getRegset(tid, Ptrace.NT_PRSTATUS, buf, back);
                } else {
                    breakpoints.roundTrip(buf, size, back);
                }
            } catch (LinuxException e) {
                throw vanished(e);
            }
            long r = buf.getLong(regs.returnValueOffset());
            if (r == -Errno.ERESTARTSYS || r == -Errno.ERESTARTNOINTR || r == -Errno.ERESTARTNOHAND) {
                continue;
            }
            return r;
        }
    }

    void markDead(int status) {
        state.markDead(status);
    }

    int deathStatus() {
        return state.deathStatus();
    }

    /**
     * SIGKILL the thread group and reap it (idempotent), never blocking ({@link GroupReaper}):
     * threads the stub cloned with CLONE_PTRACE are our tracees too and must be reaped before the
     * leader can be, and so are children in its process group (its own, from setsid).
     */
    void kill() {
        assertTracer();
        if (state.reaped()) {
            return;
        }
        int status = GroupReaper.killAndReap(tgid, java.util.List.of(tid), true);
        state.setReaped();
        if (state.alive()) {
            int st = status == -1 ? Signals.SIGKILL : status;
            state.markDead(st, "killed by Tether (" + Wait.describe(st) + ")");
        }
    }

    /** Whether this thread's final status was collected (by a wait here or a teardown). */
    boolean reaped() {
        return state.reaped();
    }

    /** Records that a teardown ({@link GroupReaper}) collected this thread. */
    void markReaped(int status) {
        state.markReaped(status);
    }
}
