package dev.tether.core;

import dev.tether.abi.Clone;
import dev.tether.abi.Errno;
import dev.tether.abi.Prctl;
import dev.tether.abi.Ptrace;
import dev.tether.abi.Signals;
import dev.tether.abi.Wait;
import dev.tether.api.StubDiedException;
import dev.tether.api.TetherException;
import dev.tether.api.UnsupportedKernelException;
import dev.tether.linux.LinuxException;
import dev.tether.linux.NativeMemory;
import dev.tether.linux.Sys;
import dev.tether.seccomp.SyscallTable;
import dev.tether.spi.StubProgram;
import java.nio.file.Path;

/**
 * Makes stub processes from the JVM (gVisor's {@code createStub}/{@code attachedThread} in
 * {@code pkg/sentry/platform/ptrace/subprocess_linux.go}): fills the trampoline's argument block,
 * calls the trampoline on a tracer thread, waits for the child's own SIGSTOP, attaches it and
 * checks where it stopped; optionally trims it down to its stub page. Also runs gVisor's
 * {@code probeSeccomp} once at start. Everything here runs on a tracer thread, which becomes the
 * new stub's tracer.
 */
final class Spawner {
    private final SyscallRegs regs;
    private final StubProgram program;
    private final SyscallTable table;
    private final StubImage image;
    private final Tracers tracers;
    private final Host.Rseq rseq;
    private final boolean cpuidFaulting;

    Spawner(SyscallRegs regs, StubProgram program, SyscallTable table, StubImage image, Tracers tracers,
            boolean cpuidFaultingWanted) {
        this.regs = regs;
        this.program = program;
        this.table = table;
        this.image = image;
        this.tracers = tracers;
        this.cpuidFaulting = cpuidFaultingWanted && program.cpuidFaulting(Host.readOrEmpty(Path.of("/proc/cpuinfo")));
        this.rseq = Host.rseq();
    }

    /** Whether the trampoline turns CPUID faulting on in every stub (ARCH_SET_CPUID, where the arch has it). */
    boolean cpuidFaulting() {
        return cpuidFaulting;
    }

    /**
     * The clone flags a stub created from the JVM may have: an exit signal (the low byte,
     * CSIGNAL; 0 or a signal number up to SIGRTMAX = 64) and CLONE_FILES, which is what gVisor's
     * createStub passes ({@code SIGKILL | CLONE_FILES}). Everything else is refused before any
     * clone: CLONE_VM would share the JVM's memory, CLONE_SIGHAND its signal handlers (which the
     * child's reset loop would then reset, and the JVM dies at its next implicit null check),
     * CLONE_VFORK would block the tracer until the child execs, which it never does,
     * CLONE_THREAD/CLONE_PTRACE/CLONE_PARENT would make the stub a thread or a sibling of the JVM.
     */
    static void checkCloneFlags(long cloneFlags) {
        long exitSignal = cloneFlags & Clone.CSIGNAL;
        long other = cloneFlags & ~Clone.CSIGNAL & ~Clone.CLONE_FILES;
        if (other != 0 || exitSignal > Signals.SIGRTMAX) {
            throw new IllegalArgumentException(String.format("clone flags 0x%x are not allowed for a stub: %s. Allowed:"
                    + " an exit signal (0..%d) and CLONE_FILES, as gVisor's createStub (SIGKILL | CLONE_FILES)",
                    cloneFlags, other != 0 ? "refused " + Clone.describeFlags(other)
                            : "exit signal " + exitSignal + " is not a signal", Signals.SIGRTMAX));
        }
    }

    /**
     * attachedThread (gVisor's subprocess_linux.go), on the calling tracer thread: clone through
     * the arch's trampoline, wait for the child's own SIGSTOP, attach, grab the initial
     * registers. On any failure the child is killed and reaped before the error is thrown.
     */
    Tracee createTracee(long cloneFlags, NativeMemory fprog) {
        TracerThread owner = tracers.current("stub creation must run on a tracer thread");
        long pid;
        try (NativeMemory args = NativeMemory.allocate(8L * StubProgram.ARG_WORDS)) {
            args.putLong(8L * StubProgram.ARG_CLONE_FLAGS, cloneFlags);
            args.putLong(8L * StubProgram.ARG_STUB_ENTRY, image.entryAddress());
            args.putLong(8L * StubProgram.ARG_PPID, Sys.getpid()); // for the PDEATHSIG race check
            args.putLong(8L * StubProgram.ARG_FPROG, fprog.address());
            args.putLong(8L * StubProgram.ARG_SECCOMP_FLAGS, Prctl.SECCOMP_FILTER_FLAG_TSYNC);
            args.putLong(8L * StubProgram.ARG_RSEQ_OFFSET, rseq.offset());
            args.putLong(8L * StubProgram.ARG_RSEQ_LEN, rseq.length());
            args.putLong(8L * StubProgram.ARG_RSEQ_SIG, program.rseqSignature() & 0xffffffffL);
            args.putLong(8L * StubProgram.ARG_CPUID_FAULT, cpuidFaulting ? 1 : 0);
            args.putLong(8L * StubProgram.ARG_FULL_SIGSET, -1L);
            StubLockdown.fill(args, image.stubAddress, image.stubLength); // seal the stub page, drop every capability
            pid = Sys.callFunction(image.trampolineAddress, args.address());
        }
        if (pid < 0) {
            throw new LinuxException(String.format("clone(0x%x)", cloneFlags), (int) -pid);
        }
        Tracee t = new Tracee((int) pid, (int) pid, owner, regs);
        try {
            // The child is not traced yet: it stops itself (group-stop) once bootstrapped.
            int status = Sys.wait4(t.tid, StopWaiter.WAIT_OPTIONS);
            if (!Wait.stopped(status) || Wait.stopSignal(status) != Signals.SIGSTOP) {
                String why = Wait.describe(status);
                if (Wait.exited(status)) {
                    int code = Wait.exitStatus(status);
                    why += code == 1 ? " (EPERM, or its parent died before PDEATHSIG was armed)" : " (" + Errno.name(code) + ")";
                }
                if (Wait.stopped(status)) {
                    t.kill();
                } else {
                    t.markReaped(status); // this wait collected it
                }
                throw new TetherException("stub " + pid + " failed to bootstrap: " + why);
            }
            try {
                t.attach();
            } catch (LinuxException e) {
                if (e.errno() == Errno.EPERM) {
                    throw new UnsupportedKernelException("ptrace attach is not permitted here (" + e.getMessage()
                            + "); check /proc/sys/kernel/yama/ptrace_scope, CAP_SYS_PTRACE and seccomp filters on the JVM", e);
                }
                throw e;
            }
            t.grabInitRegs();
            checkStoppedInStub(t);
            return t;
        } catch (RuntimeException e) {
            if (!t.reaped()) {
                try {
                    t.kill();
                } catch (RuntimeException k) {
                    e.addSuppressed(k);
                }
            }
            throw e;
        }
    }

    /**
     * {@link #createTracee}, then, when {@code trim}, the new stub unmapped from the JVM's image
     * down to its stub page ({@link StubAddressSpace}); a stub whose trim fails is killed.
     */
    Tracee createHostStub(long cloneFlags, NativeMemory fprog, boolean trim) {
        Tracee t = createTracee(cloneFlags, fprog);
        if (trim) {
            try {
                int munmap = table.require("munmap");
                image.unmapAllButStub(t.tgid, (at, len) -> t.inject(munmap, new long[] {at, len}));
            } catch (StubDiedException e) {
                t.kill();
                throw StubDeath.during(e, "munmap of the JVM's image");
            } catch (RuntimeException e) {
                t.kill();
                throw e;
            }
        }
        return t;
    }

    /** The IP check host stubs get: a new stub must be stopped on its syscall instruction. */
    void checkStoppedInStub(Tracee t) {
        long ip = t.initRegs().get(regs.layout.instructionPointerIndex());
        long expected = image.syscallAddress();
        if (ip != expected) {
            throw new TetherException(String.format("stub %d stopped at 0x%x, expected its syscall instruction at 0x%x",
                    t.tgid, ip, expected));
        }
    }

    /**
     * probeSeccomp (gVisor's subprocess_linux.go), arch-neutral, on a tracer thread: a throw-away
     * stub (exit signal 0, so its death spares the host) under the stub policy with default
     * ERRNO(0) ({@code errno0Filter}) runs sched_yield (not allowed) under PTRACE_SYSEMU with
     * arg0 = 1. If seccomp ran before the syscall-entry stop, ERRNO(0) set the return register
     * to 0; if not (Linux >= 4.8), it still holds -ENOSYS (amd64) or arg0 = 1 (arm64, whose x0
     * carries arg0 at the entry stop). Returns whether seccomp runs after ptrace (the modern order).
     */
    boolean probeSeccomp(NativeMemory errno0Filter) {
        Tracee t = createTracee(0, errno0Filter);
        try {
            t.setRegs(regs.create(t.initRegs(), table.require("sched_yield"), 1));
            while (true) {
                try {
                    Sys.ptrace(Ptrace.PTRACE_SYSEMU, t.tid, 0, 0);
                } catch (LinuxException e) {
                    if (e.errno() == Errno.EIO) {
                        throw new UnsupportedKernelException("PTRACE_SYSEMU is not supported by this kernel"
                                + " (arm64 needs Linux >= 5.3)", e);
                    }
                    throw e;
                }
                int sig;
                try {
                    sig = t.waitStopped();
                } catch (StubDiedException e) {
                    throw StubDeath.during(e, "probeSeccomp");
                }
                if (sig == Tracee.SYSCALL_STOP) {
                    break;
                }
            }
            return regs.returnValue(t.getRegs()) != 0;
        } finally {
            t.kill();
        }
    }
}
