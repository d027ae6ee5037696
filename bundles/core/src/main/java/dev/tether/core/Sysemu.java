package dev.tether.core;

import dev.tether.abi.Ptrace;
import dev.tether.abi.Signals;
import dev.tether.api.StubDiedException;
import dev.tether.guest.FaultAccess;
import dev.tether.guest.GuestEvent;
import dev.tether.linux.LinuxException;
import dev.tether.linux.NativeMemory;
import dev.tether.linux.Sys;
import dev.tether.spi.GuestArch;
import dev.tether.spi.RegisterLayout;

/**
 * One switch into guest code: gVisor's {@code subprocess.switchToApp} and {@code context.Switch}
 * ({@code pkg/sentry/platform/ptrace/subprocess.go}, {@code ptrace.go}), on the calling thread's
 * SYSEMU stub thread. Loads the context's registers (the FP/TLS state only when that thread does not
 * hold this context's already, or Java changed it), resumes with PTRACE_SYSEMU until a stop that
 * means something, and saves the state back. Each resume is one {@link RoundTrip}: the general
 * registers' SETREGSET, PTRACE_SYSEMU, the wait and the GETREGSETs in one native call.
 */
final class Sysemu {
    /** si_code of a kernel-generated signal is > 0; SI_KERNEL (0x80) is what a CPUID fault gives. */
    static final int SI_KERNEL = 0x80;

    private Sysemu() {
    }

    /** {@code c}'s switch scratch, made by its first switch (or again if the layout grew). */
    private static SwitchScratch scratch(GuestState c, int regsSize) {
        SwitchScratch b = c.scratch;
        if (b == null || b.regs.size() < regsSize) {
            b = new SwitchScratch(regsSize);
            c.scratch = b;
        }
        return b;
    }

    /**
     * Switches into the guest whose state is {@code c} on stub thread {@code t} (the calling
     * thread's SYSEMU thread, which it traces) until a stop that means something, interrupts
     * forwarded by {@code interrupts} meanwhile.
     */
    static GuestEvent run(GuestState c, InterruptForwarder interrupts, Tracee t) {
        GuestArch arch = c.arch;
        RegisterLayout layout = c.layout;
        try {
            c.fpRegset.probe(t.tid);
            int fpRegset = c.fpRegset.regset();
            int fpSize = c.fpRegset.size();
            if (c.fp == null) {
                c.loadFloatingPoint(arch.initialFloatingPointState(fpRegset, fpSize));
            }
            int regsSize = layout.regsetSize();
            SwitchScratch b = scratch(c, regsSize);
            if (c.fpHolder != null && c.fpHolder != t) {
                c.fetchFloatingPoint(); // lazy state left in another thread's stub thread: only its tracer may read it
            }
            arch.resetSysemuRegisters(c.regs, t.initWordsUnsafe()); // read only: no copy per switch
            arch.setSingleStepping(c.regs, c.singleStep);
            if (!interrupts.enable(t)) {
                return new GuestEvent.Interrupted();
            }
            // The switching thread traces its stub thread: bound to its CPU as the stub thread is
            // (Tracee.bind), its blocking wait can only be woken there; unbound, that wake-up went
            // to the other, idle CPU at every system call (README, Performance), hence the yield
            // first that an unbound tracer still makes (CallerPin: kept 1-2 ms after the switch).
            CallerPin pin = c.pinOf(t);
            PinReleaser releaser = c.releaser;
            int cpu = pin == null ? -1 : pin.enterHere(releaser);
            try {
                if (cpu >= 0) {
                    t.bind(cpu);
                } else {
                    t.bind();
                }
                b.regs.putLongs(0, c.regs); // set by the first round trip of loop()
                boolean holds = c.loadedIn(t);
                if (!holds) {
                    GuestState previous = c.heldBy(t);
                    if (previous != null && previous.fpHolder == t) {
                        previous.fetchFloatingPoint(); // save the lazy state this thread held for another context
                    }
                }
                if (c.fpDirty || !holds) {
                    Sys.setRegset(t.tid, fpRegset, c.fp, fpSize);
                }
                int tlsRegset = arch.tlsRegset();
                if (arch.tlsRegisterIndex() < 0 && (c.tlsDirty || !holds)) {
                    b.tls.putLong(0, c.tlsRegsetValue);
                    Sys.setRegset(t.tid, tlsRegset, b.tls, 8);
                }
                c.fpDirty = false;
                c.tlsDirty = false;
                if (!holds) {
                    c.nowLoadedIn(t); // a map write: only when it changes, not at every switch
                }
                return loop(c, t, b, fpRegset, fpSize, regsSize, tlsRegset, cpu >= 0);
            } finally {
                interrupts.disable();
                if (cpu >= 0) {
                    pin.exit(false, releaser);
                }
            }
        } catch (StubDiedException e) {
            return died(c, e);
        } catch (LinuxException e) {
            RuntimeException r = t.lost(e, "guest switch");
            if (r instanceof StubDiedException d) {
                return died(c, d);
            }
            throw r;
        }
    }

    /**
     * The guest's stub thread died (killed from outside, or its subprocess was): the subprocess is
     * dead, which it reports (contained mode: reaped now; fail-stop: the JVM ends: docs/architecture.md,
     * section 6), and the switch ends with {@link GuestEvent.Exited}.
     */
    private static GuestEvent died(GuestState c, StubDiedException e) {
        c.subprocess.died(e);
        return exited(e);
    }

    /** The end of a switch whose stub thread died. */
    static GuestEvent exited(StubDiedException e) {
        return new GuestEvent.Exited(e.waitStatus(), e.getMessage());
    }

    /** The ptrace request that resumes guest code: one instruction at a time when single-stepping. */
    static int ptraceRequest(boolean singleStep) {
        return singleStep ? Ptrace.PTRACE_SYSEMU_SINGLESTEP : Ptrace.PTRACE_SYSEMU;
    }

    private static GuestEvent loop(GuestState c, Tracee t, SwitchScratch b, int fpRegset, int fpSize, int regsSize,
            int tlsRegset, boolean pinned) {
        GuestArch arch = c.arch;
        RegisterLayout layout = c.layout;
        boolean setRegs = true;
        boolean getFp = !c.lazyFp && fpSize > 0;
        boolean getTls = arch.tlsRegisterIndex() < 0;
        while (true) {
            // SETREGSET (the first time), PTRACE_SYSEMU, the wait and the GETREGSETs: one native call.
            // A pinned tracer (see run) blocks in wait4 at once; else it yields to the stub first.
            RoundTrip r = b.roundTrip.start(t.tid, ptraceRequest(c.singleStep), StopWaiter.WAIT_OPTIONS, false, !pinned);
            if (setRegs) {
                r.set(Ptrace.NT_PRSTATUS, b.regs, regsSize);
            }
            r.get(Ptrace.NT_PRSTATUS, b.regs, regsSize);
            if (getFp) {
                r.get(fpRegset, c.fp, fpSize);
            }
            if (getTls) {
                r.get(tlsRegset, b.tls, 8);
            }
            int sig = t.resume(r, "guest switch");
            setRegs = false;
            boolean stale = (sig & RoundTrip.STALE) != 0;
            sig &= ~RoundTrip.STALE;
            if (sig == Signals.SIGSTOP) {
                continue; // a group-stop (e.g. a SIGSTOP to the process): gVisor resumes too
            }
            if (stale) {
                save(c, t, b, fpRegset, fpSize, regsSize, tlsRegset);
            } else {
                saved(c, t, b);
            }
            if (sig == Tracee.SYSCALL_STOP) {
                if (arch.syscallStopClobbersRegisters()) {
                    refreshAfterSyscallStop(c, t, b, regsSize, pinned);
                }
                arch.afterSyscallStop(c.regs);
                GuestEvent.Syscall event = c.syscallEvent(c.regs[layout.syscallNumberIndex()]);
                long[] args = event.args(); // the event's own array, refilled: no allocation per round trip
                for (int i = 0; i < 6; i++) {
                    args[i] = c.regs[layout.argumentIndex(i)];
                }
                return event;
            }
            Sys.ptrace(Ptrace.PTRACE_GETSIGINFO, t.tid, 0, b.siginfo.address());
            int signo = b.siginfo.getInt(0);
            int code = b.siginfo.getInt(8);
            if (code > 0) {
                // generated by the kernel: a fault of the guest's code, a trap, a seccomp SIGSYS
                long addr = b.siginfo.getLong(16); // si_addr / si_call_addr
                signo = arch.patchSignal(c.regs, signo, addr);
                return fault(c, signo, code, addr, b);
            }
            if (b.siginfo.getInt(16) == Sys.getpid()) {
                return new GuestEvent.Interrupted(); // si_pid: sent by this JVM (interrupt())
            }
            // A user signal from another process: dropped, as gVisor's switchToApp does (the next
            // resume has data 0). The guest's registers are unchanged in the stub thread.
        }
    }

    /** Copies what a round trip read at the stop (see loop) into the context: as {@link #save}, without the calls. */
    private static void saved(GuestState c, Tracee t, SwitchScratch b) {
        b.regs.getLongs(0, c.regs);
        if (c.lazyFp) {
            c.fpHolder = t;
        } // else the round trip read it into c.fp
        if (c.arch.tlsRegisterIndex() < 0) {
            c.tlsRegsetValue = b.tls.getLong(0);
        }
    }

    /** Reads the general, FP and TLS state of the stopped stub thread into the context. */
    private static void save(GuestState c, Tracee t, SwitchScratch b, int fpRegset, int fpSize, int regsSize, int tlsRegset) {
        Sys.getRegset(t.tid, Ptrace.NT_PRSTATUS, b.regs, regsSize);
        b.regs.getLongs(0, c.regs);
        if (c.lazyFp) {
            c.fpHolder = t;
        } else {
            Sys.getRegset(t.tid, fpRegset, c.fp, fpSize);
        }
        if (c.arch.tlsRegisterIndex() < 0) {
            Sys.getRegset(t.tid, tlsRegset, b.tls, 8);
            c.tlsRegsetValue = b.tls.getLong(0);
        }
    }

    /**
     * The arm64 x7 workaround (gVisor commit 48ea2c34d, {@code arm64SyscallWorkaround}): at a syscall
     * stop x7 reads as the stop direction. Queue a SIGCHLD, resume with PTRACE_SYSEMU (the syscall stays
     * skipped), take the signal stop, and read the registers again: x7 is then the guest's. The next
     * resume (data 0) discards the SIGCHLD.
     */
    private static void refreshAfterSyscallStop(GuestState c, Tracee t, SwitchScratch b, int regsSize, boolean pinned) {
        long nr = c.regs[c.layout.syscallNumberIndex()];
        Sys.tgkill(t.tgid, t.tid, Signals.SIGCHLD);
        while (true) {
            int sig = t.resume(Ptrace.PTRACE_SYSEMU, "guest switch (x7 workaround)", pinned);
            if (sig == Signals.SIGSTOP) {
                continue;
            }
            if (sig == Tracee.SYSCALL_STOP) {
                throw new IllegalStateException("stub thread " + t.tid + ": a syscall stop where the SIGCHLD of the x7 workaround was expected");
            }
            break;
        }
        Sys.getRegset(t.tid, Ptrace.NT_PRSTATUS, b.regs, regsSize);
        b.regs.getLongs(0, c.regs);
        c.regs[c.layout.syscallNumberIndex()] = nr;
    }

    /**
     * A kernel-generated signal stop as an event. ptrace does not say what access faulted, so for
     * SIGSEGV this guesses as gVisor's {@code context.Switch} does: execute if the address is the IP,
     * write if the same fault repeats (the guest was resumed after a read fault was handled), else
     * unknown. CPUID under CPUID faulting is a SIGSEGV with SI_KERNEL at the {@code cpuid} instruction.
     */
    private static GuestEvent fault(GuestState c, int signo, int code, long addr, SwitchScratch b) {
        long ip = c.instructionPointer();
        if (signo == Signals.SIGSEGV && code == SI_KERNEL && isCpuid(c, ip)) {
            return new GuestEvent.CpuidFault(ip);
        }
        boolean isFault = signo == Signals.SIGSEGV || signo == Signals.SIGBUS || signo == Signals.SIGILL
                || signo == Signals.SIGFPE || signo == Signals.SIGTRAP;
        if (!isFault) {
            byte[] info = new byte[SwitchScratch.SIGINFO_SIZE];
            b.siginfo.read(0, info, 0, SwitchScratch.SIGINFO_SIZE);
            return new GuestEvent.Signal(signo, code, info);
        }
        FaultAccess access = FaultAccess.UNKNOWN;
        if (signo == Signals.SIGSEGV) {
            if (addr == ip) {
                access = FaultAccess.EXECUTE;
            } else if (addr == c.lastFaultAddr && ip == c.lastFaultIp) {
                access = FaultAccess.WRITE;
            } else {
                access = FaultAccess.READ;
            }
            c.lastFaultAddr = addr;
            c.lastFaultIp = ip;
        }
        return new GuestEvent.Fault(signo, code, addr, ip, access);
    }

    private static boolean isCpuid(GuestState c, long ip) {
        byte[] insn = c.arch.cpuidInstruction();
        if (insn.length == 0) {
            return false;
        }
        byte[] at = new byte[insn.length];
        try {
            c.subprocess.read(ip, at, 0, at.length);
        } catch (RuntimeException e) {
            return false;
        }
        return java.util.Arrays.equals(at, insn);
    }
}
