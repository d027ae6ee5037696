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
    private volatile boolean alive = true;
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
    }

    /**
     * wait(stopped) of spec §1.1: the next stop's signal (with the ptrace event in bits 8..15 for
     * SIGTRAP). A death (PTRACE_EVENT_EXIT or an exit status) marks the tracee dead and throws.
     */
    int waitStopped(String during) {
        assertTracer();
        while (true) {
            int status = Sys.wait4(tid, WAIT_OPTIONS);
            if (!Wait.stopped(status)) {
                throw died(status, during);
            }
            int sig = Wait.stopSignal(status);
            if (sig == 0) {
                continue; // spurious stop (spec §1.1)
            }
            if (sig == Signals.SIGTRAP) {
                int event = Wait.ptraceEvent(status);
                if (event == Ptrace.PTRACE_EVENT_EXIT) {
                    throw exitEvent(during);
                }
                return Signals.SIGTRAP | (event << 8);
            }
            return sig;
        }
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
        initRegs = r.with(ip, r.get(ip) - layout.syscallInstructionLength());
    }

    /**
     * syscall(regs) of spec §1.6: set the registers, PTRACE_CONT until the stub traps after the
     * syscall (signal stops in between are discarded), read the registers back.
     */
    Registers syscall(Registers regs, String during) {
        setRegs(regs);
        while (true) {
            Sys.ptrace(Ptrace.PTRACE_CONT, tid, 0, 0);
            int sig = waitStopped(during);
            if (sig == Signals.SIGTRAP) {
                break;
            }
            // SIGSTOP (left over from attach), SIGCHLD (an injected wait4's child stopped) or any
            // other signal: discarded by resuming with data 0; the kernel restarts the syscall.
        }
        return getRegs();
    }

    /** syscallIgnoreInterrupt (spec §1.7): raw result, -errno on failure; restarts retried. */
    long inject(long sysno, long[] args, String during) {
        return injectAdjusted(r -> r, sysno, args, during);
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
        int status = msg;
        try {
            Sys.ptrace(Ptrace.PTRACE_CONT, tid, 0, 0);
            status = reapQuietly();
        } catch (LinuxException e) {
            // already gone
        }
        return died(status == -1 ? msg : status, during);
    }

    private StubDiedException died(int status, String during) {
        markDead(status);
        return new StubDiedException("stub " + tgid + (tid != tgid ? " thread " + tid : "") + " " + death
                + (during == null ? "" : " during " + during), tgid, tid, status);
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
     * Waits until the thread is gone, resuming it through any stop (PTRACE_EVENT_EXIT first), and
     * returns its final status, or -1 if it was already reaped.
     */
    int reapQuietly() {
        assertTracer();
        while (true) {
            int status;
            try {
                status = Sys.wait4(tid, Tracee.WAIT_OPTIONS);
            } catch (LinuxException e) {
                if (e.errno() == Errno.ECHILD) {
                    return -1;
                }
                throw e;
            }
            if (!Wait.stopped(status)) {
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
    }

    /**
     * SIGKILL the thread group and reap it (idempotent). Threads the stub cloned with
     * CLONE_PTRACE are our tracees too and must be reaped before the leader can be, so this waits
     * on the stub's whole process group (its own, from setsid), resuming stops, until the leader
     * is gone.
     */
    void kill() {
        assertTracer();
        if (!alive) {
            return;
        }
        try {
            Sys.tgkill(tgid, tid, Signals.SIGKILL);
        } catch (LinuxException e) {
            if (e.errno() != Errno.ESRCH) {
                throw e;
            }
        }
        int status = Signals.SIGKILL;
        while (true) {
            long r;
            try {
                r = Sys.wait4Full(-tgid, WAIT_OPTIONS);
            } catch (LinuxException e) {
                if (e.errno() == Errno.ECHILD) {
                    break; // nothing of this stub is left to wait for
                }
                throw e;
            }
            int who = (int) (r >>> 32);
            int st = (int) r;
            if (Wait.stopped(st)) {
                try {
                    Sys.ptrace(Ptrace.PTRACE_CONT, who, 0, 0);
                } catch (LinuxException e) {
                    if (e.errno() != Errno.ESRCH) {
                        throw e;
                    }
                }
            } else if (who == tid) {
                status = st;
                break;
            }
        }
        markDead(status);
        death = "killed by Tether (" + death + ")";
    }
}
