package dev.tether.arch.arm64;

import static dev.tether.arch.arm64.A64Assembler.Reg.SP;
import static dev.tether.arch.arm64.A64Assembler.Reg.X0;
import static dev.tether.arch.arm64.A64Assembler.Reg.X1;
import static dev.tether.arch.arm64.A64Assembler.Reg.X16;
import static dev.tether.arch.arm64.A64Assembler.Reg.X19;
import static dev.tether.arch.arm64.A64Assembler.Reg.X2;
import static dev.tether.arch.arm64.A64Assembler.Reg.X20;
import static dev.tether.arch.arm64.A64Assembler.Reg.X3;
import static dev.tether.arch.arm64.A64Assembler.Reg.X4;
import static dev.tether.arch.arm64.A64Assembler.Reg.X7;
import static dev.tether.arch.arm64.A64Assembler.Reg.X8;
import static dev.tether.arch.arm64.A64Assembler.Reg.X9;

import dev.tether.abi.Errno;
import dev.tether.abi.Prctl;
import dev.tether.abi.Signals;
import dev.tether.arch.arm64.A64Assembler.Cond;
import dev.tether.spi.MachineCode;
import dev.tether.spi.StubProgram;
import dev.tether.spi.TetherArch;
import dev.tether.spi.support.AssembledStubProgram;
import dev.tether.spi.support.Assembler.Label;
import dev.tether.spi.support.Assembler.Program;
import java.util.Objects;
import java.util.Optional;
import org.osgi.service.component.annotations.Component;

/**
 * The aarch64 stub (gVisor's stub_arm64.s) and host-side clone trampoline (gVisor's attachedThread in
 * subprocess_linux.go, in machine code: docs/architecture.md, section 10),
 * built with {@link A64Assembler}. Syscall numbers come from the generated {@link Arm64Sysno}.
 */
@Component(service = StubProgram.class)
@TetherArch(Arm64SyscallTable.ARCH)
public final class Arm64StubProgram extends AssembledStubProgram {
    /** SIG_SETMASK (include/uapi/asm-generic/signal-defs.h). */
    static final int SIG_SETMASK = 2;
    /** PR_SET_NAME (include/uapi/linux/prctl.h): set the calling thread's comm, at most 15 bytes + NUL. */
    static final int PR_SET_NAME = 15;
    /**
     * What {@code ps}, {@code top} and {@code /proc/PID/comm} call every stub and every process or
     * thread forked from one (comm is inherited by fork and clone), instead of the JVM thread
     * that cloned it (e.g. {@code tether-tracer-a}).
     */
    static final String STUB_NAME = "tether-stub";
    /** sizeof(sigset_t) as the kernel wants it for rt_sig*: _NSIG / 8, _NSIG = 64
     * (include/uapi/asm-generic/signal.h; rt_sigprocmask(2)). */
    static final int SIGSET_SIZE = 8;
    /** RSEQ_SIG of glibc's sysdeps/unix/sysv/linux/aarch64/bits/rseq.h (little-endian; docs/architecture.md, section 10, item 1). */
    static final int RSEQ_SIG = 0xd428bc00;
    /** Exit status of the stub when its parent died before PDEATHSIG was armed (gVisor's stub_arm64.s). */
    static final int EXIT_PARENT_DEAD = 1;
    /** The stub's "injected syscall finished" breakpoint: {@code brk #3} (gVisor's stub_arm64.s). */
    static final int BRK_DONE = 3;
    /** -MAX_ERRNO (include/linux/err.h): results in [-4095, -1] are errors. */
    static final int MAX_ERRNO = 4095;
    /**
     * mseal(2), Linux 6.10+ ({@code __NR_mseal} of include/uapi/asm-generic/unistd.h): newer than
     * the headers {@link Arm64Sysno} is generated from.
     */
    static final int SYS_MSEAL = 462;

    /**
     * First address to try for the stub: 16 pages below 0xfffffffff000, 48-bit VA (gVisor's stubInitAddress in
     * subprocess_arm64.go, tried first by stubInit in stub_unsafe.go).
     * arm64 kernels run with 4, 16 or 64 KiB pages (docs/architecture.md, section 10, item 6); all three divide it.
     */
    static final long STUB_INIT_ADDRESS = 0xffffffff0000L;
    /** gVisor's maximumUserAddress for 48-bit virtual addresses (subprocess_arm64.go). */
    static final long MAXIMUM_USER_ADDRESS = 0xfffffffff000L;

    /** Public no-arg constructor, for DS and {@link java.util.ServiceLoader}. */
    public Arm64StubProgram() {
        super(Arm64SyscallTable.ARCH, assembleStub(), assembleTrampoline(), RSEQ_SIG, STUB_INIT_ADDRESS,
                MAXIMUM_USER_ADDRESS);
    }

    /** The ptrace round trip ({@link Arm64RoundTrip}), assembled once. */
    private static final MachineCode ROUND_TRIP = roundTrip(Arm64RoundTrip.assemble());

    private static MachineCode roundTrip(Program p) {
        return new MachineCode(p.code(), 0, -1, p.listing());
    }

    @Override
    public Optional<MachineCode> ptraceRoundTrip() {
        return Optional.of(ROUND_TRIP);
    }

    @Override
    public boolean cpuidFaulting(String procCpuinfo) {
        Objects.requireNonNull(procCpuinfo, "procCpuinfo");
        return false; // arm64 has no CPUID instruction to fault
    }

    /**
     * The stub, as gVisor's stub_arm64.s (our own encoding of its instructions). Label
     * {@value #SYSCALL_LABEL} marks the {@code svc} every injection starts at.
     */
    static Program assembleStub() {
        A64Assembler a = new A64Assembler();
        Label begin = a.label("begin");
        Label killSyscall = a.label(SYSCALL_LABEL);
        Label done = a.label("done");
        Label clone = a.label("clone");
        Label error = a.label("error");
        Label parentDead = a.label("parent_dead");

        a.bind(begin);
        // prctl(PR_SET_PDEATHSIG, SIGKILL): die with the parent thread.
        a.movz(X8, Arm64Sysno.SYS_PRCTL).movz(X0, Prctl.PR_SET_PDEATHSIG).movz(X1, Signals.SIGKILL).svc(0);
        a.cmnImm(X0, MAX_ERRNO).bcond(Cond.HS, error); // x0 in [-4095, -1]
        // The parent may have died before PDEATHSIG was armed: compare getppid() with x7.
        a.movz(X8, Arm64Sysno.SYS_GETPPID).svc(0);
        a.cmpReg(X0, X7).bcond(Cond.NE, parentDead);
        a.movz(X8, Arm64Sysno.SYS_GETPID).svc(0);
        a.cmpImm(X0, 0).bcond(Cond.LT, error);
        // x9 = 0: a plain injected syscall; the sentry sets 1 for an injected process clone (gVisor's
        // initChildProcessPPID, subprocess_arm64.go).
        a.movz(X9, 0);
        a.movz(X8, Arm64Sysno.SYS_KILL).movz(X1, Signals.SIGSTOP); // x0 already holds the pid
        a.bind(killSyscall).svc(0); // kill(getpid(), SIGSTOP); initRegs.pc points here
        a.cmpImm(X9, 1).bcond(Cond.EQ, clone);
        a.bind(done).brk(BRK_DONE); // "injected syscall finished" (SIGTRAP)
        a.b(done);
        a.bind(clone);
        a.cmpImm(X0, 0).bcond(Cond.EQ, begin); // the new child process re-runs the bootstrap
        a.b(done);                              // the parent reports the child's pid
        a.bind(error);
        a.neg(X0, X0).movz(X8, Arm64Sysno.SYS_EXIT).svc(0).hlt(0); // exit(errno)
        a.bind(parentDead);
        a.movz(X8, Arm64Sysno.SYS_EXIT).movz(X0, EXIT_PARENT_DEAD).svc(0).hlt(0);
        return a.assemble();
    }

    /**
     * A thread name as two little-endian words, NUL-padded: the 16 bytes of the kernel's comm
     * (TASK_COMM_LEN = 16, include/linux/sched.h), the last one always NUL.
     */
    static long[] nameWords(String name) {
        byte[] b = name.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        if (b.length > 15) {
            throw new IllegalArgumentException("a thread name has at most 15 bytes (TASK_COMM_LEN - 1): " + name);
        }
        long[] words = new long[2];
        for (int i = 0; i < b.length; i++) {
            words[i / 8] |= (b[i] & 0xffL) << (8 * (i % 8));
        }
        return words;
    }

    /**
     * The clone trampoline, {@code long trampoline(const uint64_t *args)} with the AAPCS64 C ABI:
     * {@code args} in x0, result in x0; x19 and x20 (callee-saved) are saved on the stack, the
     * parent path uses no other callee-saved register and does not touch x29/x30 (it calls
     * nothing). Requires clone flags without CLONE_VM: the child runs on a copy of the caller's
     * memory (stack and argument block included).
     */
    static Program assembleTrampoline() {
        A64Assembler a = new A64Assembler();
        Label out = a.label("out");
        Label child = a.label("child");
        Label sigloop = a.label("sigloop");
        Label noRseq = a.label("no_rseq");
        Label noSeal = a.label("no_seal");
        Label bsetLoop = a.label("bset_loop");
        Label bsetDone = a.label("bset_done");
        Label noFilter = a.label("no_filter");
        Label exitNotuniq = a.label("exit_notuniq");
        Label exitNeg = a.label("exit_neg");
        Label exit = a.label("exit");

        // ---- parent ----
        a.stpPre(X19, X20, SP, -16);
        a.movReg(X19, X0); // x19 = args, in the parent and (copied) in the child
        // rt_sigprocmask(SIG_SETMASK, &args[FULL_SIGSET], &args[SAVED_SIGSET], 8): block every
        // signal around the clone (gVisor's beforeFork), so nothing runs a JVM handler in the child.
        a.movz(X0, SIG_SETMASK).addImm(X1, X19, argOffset(ARG_FULL_SIGSET));
        a.addImm(X2, X19, argOffset(ARG_SAVED_SIGSET));
        a.movz(X3, SIGSET_SIZE).movz(X8, Arm64Sysno.SYS_RT_SIGPROCMASK).svc(0);
        a.cbnz(X0, out); // nothing changed: return -errno
        // clone(flags, newsp = 0, parent_tid = 0, tls = 0, child_tid = 0): fork semantics, the
        // child continues here on a copy of this stack (arm64 argument order: flags, newsp,
        // parent_tid, tls, child_tid; CONFIG_CLONE_BACKWARDS in kernel/fork.c).
        a.ldr(X0, X19, argOffset(ARG_CLONE_FLAGS)).movz(X1, 0).movz(X2, 0).movz(X3, 0).movz(X4, 0);
        a.movz(X8, Arm64Sysno.SYS_CLONE).svc(0);
        a.cbz(X0, child);
        // Parent (pid > 0) or clone failure (-errno): restore the caller's mask, return x0.
        a.movReg(X20, X0);
        a.movz(X0, SIG_SETMASK).addImm(X1, X19, argOffset(ARG_SAVED_SIGSET)).movz(X2, 0).movz(X3, SIGSET_SIZE);
        a.movz(X8, Arm64Sysno.SYS_RT_SIGPROCMASK).svc(0);
        a.movReg(X0, X20);
        a.bind(out).ldpPost(X19, X20, SP, 16).ret();

        // ---- child: every failure exits with the errno as status (as gVisor's attachedThread child) ----
        a.bind(child);
        // setsid(): leave the JVM's session and process group (no job-control signals).
        a.movz(X8, Arm64Sysno.SYS_SETSID).svc(0);
        a.cmpImm(X0, 0).bcond(Cond.LT, exitNeg);
        // prctl(PR_SET_NAME, "tether-stub"): the name, NUL-padded to 16 bytes, stored below the
        // child's copy of the stack (sp stays 16-byte aligned; the child never returns). Before the
        // filter, so that the stub's seccomp policy needs no prctl rule for it; forks and threads
        // of the stub inherit it.
        long[] name = nameWords(STUB_NAME);
        a.movImm(X0, name[0]).movImm(X1, name[1]).stpPre(X0, X1, SP, -16);
        a.movz(X0, PR_SET_NAME).addImm(X1, SP, 0);
        a.movz(X8, Arm64Sysno.SYS_PRCTL).svc(0);
        a.cbnz(X0, exitNeg);
        // rt_sigaction(sig, &{SIG_DFL}, NULL, 8) for sig = 1..64; errors ignored: SIGKILL and
        // SIGSTOP give EINVAL (rt_sigaction(2); docs/architecture.md, section 10, item 2). The JVM's
        // handlers would run in unmapped code.
        a.movz(X20, 1);
        a.bind(sigloop);
        a.movReg(X0, X20).addImm(X1, X19, argOffset(ARG_SIGACTION_DFL)).movz(X2, 0).movz(X3, SIGSET_SIZE);
        a.movz(X8, Arm64Sysno.SYS_RT_SIGACTION).svc(0);
        a.addImm(X20, X20, 1).cmpImm(X20, Signals.SIGRTMAX).bcond(Cond.LE, sigloop);
        // rt_sigprocmask(SIG_SETMASK, &zero, NULL, 8): unmask everything, so the tracer sees every
        // signal; the first word of the SIG_DFL sigaction is a zero sigset.
        a.movz(X0, SIG_SETMASK).addImm(X1, X19, argOffset(ARG_SIGACTION_DFL)).movz(X2, 0).movz(X3, SIGSET_SIZE);
        a.movz(X8, Arm64Sysno.SYS_RT_SIGPROCMASK).svc(0);
        a.cbnz(X0, exitNeg);
        // rseq(tp + __rseq_offset, len, RSEQ_FLAG_UNREGISTER, sig): glibc's registration would
        // fault once the stub unmaps everything (docs/architecture.md, section 10, item 1). tpidr_el0 is the thread pointer.
        a.ldr(X1, X19, argOffset(ARG_RSEQ_LEN)).cbz(X1, noRseq);
        a.mrsTpidrEl0(X0).ldr(X9, X19, argOffset(ARG_RSEQ_OFFSET)).addReg(X0, X0, X9);
        a.movz(X2, Prctl.RSEQ_FLAG_UNREGISTER).ldr(X3, X19, argOffset(ARG_RSEQ_SIG));
        a.movz(X8, Arm64Sysno.SYS_RSEQ).svc(0);
        a.cbnz(X0, exitNeg);
        a.bind(noRseq);
        // mseal(stub, length, 0): the stub page can no longer be unmapped, mapped over, remapped or
        // mprotected, in this stub and in every stub forked from it. ENOSYS (Linux < 6.10) and
        // EPERM (no sealing here, or a seccomp policy over the JVM refusing it) leave it unsealed.
        a.ldr(X1, X19, argOffset(ARG_SEAL_LENGTH)).cbz(X1, noSeal);
        a.ldr(X0, X19, argOffset(ARG_SEAL_ADDRESS)).movz(X2, 0).movz(X8, SYS_MSEAL).svc(0);
        a.cmnImm(X0, Errno.ENOSYS).bcond(Cond.EQ, noSeal).cmnImm(X0, Errno.EPERM).bcond(Cond.EQ, noSeal);
        a.cbnz(X0, exitNeg);
        a.bind(noSeal);
        // prctl(PR_CAPBSET_DROP, cap) for cap = n-1 .. 0: nothing can come back through execve.
        a.ldr(X20, X19, argOffset(ARG_CAPBSET_COUNT));
        a.bind(bsetLoop).cbz(X20, bsetDone);
        a.subImm(X20, X20, 1);
        a.movz(X0, Prctl.PR_CAPBSET_DROP).movReg(X1, X20).movz(X2, 0).movz(X3, 0).movz(X4, 0);
        a.movz(X8, Arm64Sysno.SYS_PRCTL).svc(0);
        a.cbnz(X0, exitNeg);
        a.b(bsetLoop);
        a.bind(bsetDone);
        // capset(&header, &data): no effective, permitted or inheritable capability (and so no
        // ambient one). Before the filter, which does not allow capset.
        a.addImm(X0, X19, argOffset(ARG_CAP_HEADER)).addImm(X1, X19, argOffset(ARG_CAP_DATA));
        a.movz(X8, Arm64Sysno.SYS_CAPSET).svc(0);
        a.cbnz(X0, exitNeg);
        // prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0): required for an unprivileged seccomp filter.
        a.movz(X0, Prctl.PR_SET_NO_NEW_PRIVS).movz(X1, 1).movz(X2, 0).movz(X3, 0).movz(X4, 0);
        a.movz(X8, Arm64Sysno.SYS_PRCTL).svc(0);
        a.cbnz(X0, exitNeg);
        // seccomp(SECCOMP_SET_MODE_FILTER, flags, fprog); a positive result is the TID that
        // failed TSYNC -> ENOTUNIQ (seccomp(2), SECCOMP_FILTER_FLAG_TSYNC; gVisor's attachedThread).
        a.ldr(X2, X19, argOffset(ARG_FPROG)).cbz(X2, noFilter);
        a.movz(X0, Prctl.SECCOMP_SET_MODE_FILTER).ldr(X1, X19, argOffset(ARG_SECCOMP_FLAGS));
        a.movz(X8, Arm64Sysno.SYS_SECCOMP).svc(0);
        a.cmpImm(X0, 0).bcond(Cond.LT, exitNeg).bcond(Cond.GT, exitNotuniq);
        a.bind(noFilter);
        // No ARCH_SET_CPUID on arm64 (ARG_CPUID_FAULT is ignored; gVisor's enableCpuidFault is in subprocess_amd64.go only).
        // stubCall(stubStart, ppid): x7 = expected parent pid, branch to the stub (gVisor's stubCall, stub_arm64.s).
        a.ldr(X7, X19, argOffset(ARG_PPID)).ldr(X16, X19, argOffset(ARG_STUB_ENTRY)).br(X16);
        a.bind(exitNotuniq).movz(X0, Errno.ENOTUNIQ).b(exit);
        a.bind(exitNeg).neg(X0, X0);
        a.bind(exit).movz(X8, Arm64Sysno.SYS_EXIT).svc(0).hlt(0);
        return a.assemble();
    }
}
