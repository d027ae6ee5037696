package dev.tether.arch.amd64;

import static dev.tether.arch.amd64.X86Assembler.Reg.R10;
import static dev.tether.arch.amd64.X86Assembler.Reg.R12;
import static dev.tether.arch.amd64.X86Assembler.Reg.R15;
import static dev.tether.arch.amd64.X86Assembler.Reg.R8;
import static dev.tether.arch.amd64.X86Assembler.Reg.RAX;
import static dev.tether.arch.amd64.X86Assembler.Reg.RBX;
import static dev.tether.arch.amd64.X86Assembler.Reg.RDI;
import static dev.tether.arch.amd64.X86Assembler.Reg.RDX;
import static dev.tether.arch.amd64.X86Assembler.Reg.RSI;
import static dev.tether.arch.amd64.X86Assembler.Reg.RSP;

import dev.tether.abi.Errno;
import dev.tether.abi.Prctl;
import dev.tether.abi.Signals;
import dev.tether.arch.amd64.X86Assembler.Cond;
import dev.tether.spi.MachineCode;
import dev.tether.spi.StubProgram;
import dev.tether.spi.TetherArch;
import dev.tether.spi.support.AssembledStubProgram;
import dev.tether.spi.support.Assembler.Label;
import dev.tether.spi.support.Assembler.Program;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.osgi.service.component.annotations.Component;

/**
 * The x86-64 stub (gVisor's stub_amd64.s) and host-side clone trampoline (gVisor's attachedThread in
 * subprocess_linux.go, in machine code: docs/architecture.md, section 10),
 * built with {@link X86Assembler}. Syscall numbers come from the generated {@link Amd64Sysno}.
 */
@Component(service = StubProgram.class)
@TetherArch(Amd64SyscallTable.ARCH)
public final class Amd64StubProgram extends AssembledStubProgram {
    /** SIG_SETMASK (include/uapi/asm-generic/signal-defs.h). */
    static final int SIG_SETMASK = 2;
    /** sizeof(sigset_t) as the kernel wants it for rt_sig*: _NSIG / 8, _NSIG = 64
     * (arch/x86/include/uapi/asm/signal.h; rt_sigprocmask(2)). */
    static final int SIGSET_SIZE = 8;
    /** ARCH_SET_CPUID (arch/x86/include/uapi/asm/prctl.h). */
    static final int ARCH_SET_CPUID = Amd64SeccompContribution.ARCH_SET_CPUID;
    /** RSEQ_SIG of glibc's sysdeps/unix/sysv/linux/x86/bits/rseq.h (docs/architecture.md, section 10, item 1). */
    static final int RSEQ_SIG = 0x53053053;
    /** Exit status of the stub when its parent died before PDEATHSIG was armed (gVisor's stub_amd64.s). */
    static final int EXIT_PARENT_DEAD = 1;
    /**
     * mseal(2), Linux 6.10+ (arch/x86/entry/syscalls/syscall_64.tbl): newer than the headers
     * {@link Amd64Sysno} is generated from.
     */
    static final int SYS_MSEAL = 462;

    /** First address to try for the stub: 16 pages below 0x7ffffffff000 (gVisor's stubInitAddress in
     * subprocess_amd64.go, tried first by stubInit in stub_unsafe.go). */
    static final long STUB_INIT_ADDRESS = 0x7fffffff0000L;
    /** gVisor's maximumUserAddress (subprocess_amd64.go): 47-bit user space minus a guard page. */
    static final long MAXIMUM_USER_ADDRESS = 0x7ffffffff000L;

    /** PR_SET_NAME (include/uapi/linux/prctl.h): set the calling thread's comm, at most 15 bytes + NUL. */
    static final int PR_SET_NAME = 15;
    /**
     * What {@code ps}, {@code top} and {@code /proc/PID/comm} call every stub and every process or
     * thread forked from one (comm is inherited by fork and clone), instead of the JVM thread
     * that cloned it (e.g. {@code tether-tracer-a}).
     */
    static final String STUB_NAME = "tether-stub";

    private static final Pattern FLAGS_LINE = Pattern.compile("(?m)^flags\\s*:(.*)$");

    /** Public no-arg constructor, for DS and {@link java.util.ServiceLoader}. */
    public Amd64StubProgram() {
        super(Amd64SyscallTable.ARCH, assembleStub(), assembleTrampoline(), RSEQ_SIG, STUB_INIT_ADDRESS,
                MAXIMUM_USER_ADDRESS);
    }

    /** The ptrace round trip ({@link Amd64RoundTrip}), assembled once. */
    private static final MachineCode ROUND_TRIP = roundTrip(Amd64RoundTrip.assemble());

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
        // Every CPU must have it: the child may run on any of them.
        Matcher m = FLAGS_LINE.matcher(procCpuinfo);
        boolean any = false;
        while (m.find()) {
            any = true;
            if (!(" " + m.group(1).trim() + " ").contains(" cpuid_fault ")) {
                return false;
            }
        }
        return any;
    }

    /**
     * The stub, as gVisor's stub_amd64.s (our own encoding of its instructions). Label
     * {@value #SYSCALL_LABEL} marks the syscall instruction every injection starts at.
     */
    static Program assembleStub() {
        X86Assembler a = new X86Assembler();
        Label begin = a.label("begin");
        Label killSyscall = a.label(SYSCALL_LABEL);
        Label done = a.label("done");
        Label clone = a.label("clone");
        Label error = a.label("error");
        Label parentDead = a.label("parent_dead");

        a.bind(begin);
        // prctl(PR_SET_PDEATHSIG, SIGKILL): die with the parent thread.
        a.movImm(RAX, Amd64Sysno.SYS_PRCTL).movImm(RDI, Prctl.PR_SET_PDEATHSIG).movImm(RSI, Signals.SIGKILL).syscall();
        a.cmpImm(RAX, 0).jcc(Cond.NE, error);
        // The parent may have died before PDEATHSIG was armed: compare getppid() with r15.
        a.movImm(RAX, Amd64Sysno.SYS_GETPPID).syscall();
        a.cmpImm(RAX, 0).jcc(Cond.L, error);
        a.cmpRegReg(RAX, R15).jcc(Cond.NE, parentDead);
        a.movImm(RAX, Amd64Sysno.SYS_GETPID).syscall();
        a.cmpImm(RAX, 0).jcc(Cond.L, error);
        // rbx = 0: a plain injected syscall; the sentry sets 1 for an injected process clone (gVisor's
        // initChildProcessPPID, subprocess_amd64.go).
        a.movImm(RBX, 0);
        a.movRegReg(RDI, RAX).movImm(RAX, Amd64Sysno.SYS_KILL).movImm(RSI, Signals.SIGSTOP);
        a.bind(killSyscall).syscall(); // kill(getpid(), SIGSTOP); initRegs.rip points here
        a.cmpImm(RBX, 1).jcc(Cond.E, clone);
        a.bind(done).int3();           // "injected syscall finished" (SIGTRAP)
        a.jmp(done);
        a.bind(clone);
        a.cmpImm(RAX, 0).jcc(Cond.E, begin); // the new child process re-runs the bootstrap
        a.jmp(done);                          // the parent reports the child's pid
        a.bind(error);
        a.movRegReg(RDI, RAX).negReg(RDI).movImm(RAX, Amd64Sysno.SYS_EXIT).syscall(); // exit(errno)
        a.hlt();
        a.bind(parentDead);
        a.movImm(RAX, Amd64Sysno.SYS_EXIT).movImm(RDI, EXIT_PARENT_DEAD).syscall();
        a.hlt();
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
     * The clone trampoline, {@code long trampoline(const uint64_t *args)} with the SysV C ABI:
     * {@code args} in rdi, result in rax; rbx and r12 (callee-saved) are saved on the stack, the
     * parent path uses no other callee-saved register. Requires clone flags without CLONE_VM: the
     * child runs on a copy of the caller's memory (stack and argument block included).
     */
    static Program assembleTrampoline() {
        X86Assembler a = new X86Assembler();
        Label out = a.label("out");
        Label child = a.label("child");
        Label sigloop = a.label("sigloop");
        Label noRseq = a.label("no_rseq");
        Label noSeal = a.label("no_seal");
        Label bsetLoop = a.label("bset_loop");
        Label bsetDone = a.label("bset_done");
        Label noFilter = a.label("no_filter");
        Label noCpuid = a.label("no_cpuid");
        Label exitNotuniq = a.label("exit_notuniq");
        Label exitNeg = a.label("exit_neg");
        Label exit = a.label("exit");

        // ---- parent ----
        a.pushReg(RBX).pushReg(R12);
        a.movRegReg(RBX, RDI); // rbx = args, in the parent and (copied) in the child
        // rt_sigprocmask(SIG_SETMASK, &args[FULL_SIGSET], &args[SAVED_SIGSET], 8): block every
        // signal around the clone (gVisor's beforeFork), so nothing runs a JVM handler in the child.
        a.movImm(RAX, Amd64Sysno.SYS_RT_SIGPROCMASK).movImm(RDI, SIG_SETMASK);
        a.lea(RSI, RBX, argOffset(ARG_FULL_SIGSET)).lea(RDX, RBX, argOffset(ARG_SAVED_SIGSET)).movImm(R10, SIGSET_SIZE);
        a.syscall();
        a.testRegReg(RAX, RAX).jcc(Cond.NE, out); // nothing changed: return -errno
        // clone(flags, newsp = 0, parent_tid = 0, child_tid = 0, tls = 0): fork semantics, the
        // child continues here on a copy of this stack (x86-64 argument order: flags, newsp,
        // parent_tid, child_tid, tls; kernel/fork.c).
        a.movLoad(RDI, RBX, argOffset(ARG_CLONE_FLAGS)).movImm(RSI, 0).movImm(RDX, 0).movImm(R10, 0).movImm(R8, 0);
        a.movImm(RAX, Amd64Sysno.SYS_CLONE).syscall();
        a.testRegReg(RAX, RAX).jcc(Cond.E, child);
        // Parent (pid > 0) or clone failure (-errno): restore the caller's mask, return rax.
        a.movRegReg(R12, RAX);
        a.movImm(RAX, Amd64Sysno.SYS_RT_SIGPROCMASK).movImm(RDI, SIG_SETMASK);
        a.lea(RSI, RBX, argOffset(ARG_SAVED_SIGSET)).movImm(RDX, 0).movImm(R10, SIGSET_SIZE).syscall();
        a.movRegReg(RAX, R12);
        a.bind(out).popReg(R12).popReg(RBX).ret();

        // ---- child: every failure exits with the errno as status (as gVisor's attachedThread child) ----
        a.bind(child);
        // setsid(): leave the JVM's session and process group (no job-control signals).
        a.movImm(RAX, Amd64Sysno.SYS_SETSID).syscall();
        a.testRegReg(RAX, RAX).jcc(Cond.L, exitNeg);
        // prctl(PR_SET_NAME, "tether-stub"): the name, NUL-padded to 16 bytes, pushed on the
        // child's copy of the stack (the child never returns). Before the filter, so that the
        // stub's seccomp policy needs no prctl rule for it; forks and threads of the stub inherit it.
        long[] name = nameWords(STUB_NAME);
        a.movImm(RDI, name[1]).pushReg(RDI).movImm(RDI, name[0]).pushReg(RDI);
        a.movImm(RAX, Amd64Sysno.SYS_PRCTL).movImm(RDI, PR_SET_NAME).movRegReg(RSI, RSP);
        a.syscall();
        a.testRegReg(RAX, RAX).jcc(Cond.NE, exitNeg);
        // rt_sigaction(sig, &{SIG_DFL}, NULL, 8) for sig = 1..64; errors ignored: SIGKILL and
        // SIGSTOP give EINVAL (rt_sigaction(2); docs/architecture.md, section 10, item 2). The JVM's
        // handlers would run in unmapped code.
        a.movImm(R12, 1);
        a.bind(sigloop);
        a.movImm(RAX, Amd64Sysno.SYS_RT_SIGACTION).movRegReg(RDI, R12).lea(RSI, RBX, argOffset(ARG_SIGACTION_DFL));
        a.movImm(RDX, 0).movImm(R10, SIGSET_SIZE).syscall();
        a.addImm(R12, 1).cmpImm(R12, Signals.SIGRTMAX).jcc(Cond.LE, sigloop);
        // rt_sigprocmask(SIG_SETMASK, &zero, NULL, 8): unmask everything, so the tracer sees every
        // signal; the first word of the SIG_DFL sigaction is a zero sigset.
        a.movImm(RAX, Amd64Sysno.SYS_RT_SIGPROCMASK).movImm(RDI, SIG_SETMASK);
        a.lea(RSI, RBX, argOffset(ARG_SIGACTION_DFL));
        a.movImm(RDX, 0).movImm(R10, SIGSET_SIZE).syscall();
        a.testRegReg(RAX, RAX).jcc(Cond.NE, exitNeg);
        // rseq(tp + __rseq_offset, len, RSEQ_FLAG_UNREGISTER, sig): glibc's registration would
        // fault once the stub unmaps everything (docs/architecture.md, section 10, item 1). %fs:0 is the thread pointer.
        a.movLoad(RSI, RBX, argOffset(ARG_RSEQ_LEN)).testRegReg(RSI, RSI).jcc(Cond.E, noRseq);
        a.movFsLoad(RDI, 0).movLoad(RAX, RBX, argOffset(ARG_RSEQ_OFFSET)).addRegReg(RDI, RAX);
        a.movImm(RDX, Prctl.RSEQ_FLAG_UNREGISTER).movLoad(R10, RBX, argOffset(ARG_RSEQ_SIG));
        a.movImm(RAX, Amd64Sysno.SYS_RSEQ).syscall();
        a.testRegReg(RAX, RAX).jcc(Cond.NE, exitNeg);
        a.bind(noRseq);
        // mseal(stub, length, 0): the stub page can no longer be unmapped, mapped over, remapped or
        // mprotected, in this stub and in every stub forked from it. ENOSYS (Linux < 6.10) and
        // EPERM (no sealing here, or a seccomp policy over the JVM refusing it) leave it unsealed.
        a.movLoad(RSI, RBX, argOffset(ARG_SEAL_LENGTH)).testRegReg(RSI, RSI).jcc(Cond.E, noSeal);
        a.movLoad(RDI, RBX, argOffset(ARG_SEAL_ADDRESS)).movImm(RDX, 0).movImm(RAX, SYS_MSEAL).syscall();
        a.cmpImm(RAX, -Errno.ENOSYS).jcc(Cond.E, noSeal).cmpImm(RAX, -Errno.EPERM).jcc(Cond.E, noSeal);
        a.testRegReg(RAX, RAX).jcc(Cond.NE, exitNeg);
        a.bind(noSeal);
        // prctl(PR_CAPBSET_DROP, cap) for cap = n-1 .. 0: nothing can come back through execve.
        a.movLoad(R12, RBX, argOffset(ARG_CAPBSET_COUNT));
        a.bind(bsetLoop).testRegReg(R12, R12).jcc(Cond.E, bsetDone);
        a.subImm(R12, 1);
        a.movImm(RAX, Amd64Sysno.SYS_PRCTL).movImm(RDI, Prctl.PR_CAPBSET_DROP).movRegReg(RSI, R12);
        a.movImm(RDX, 0).movImm(R10, 0).movImm(R8, 0).syscall();
        a.testRegReg(RAX, RAX).jcc(Cond.NE, exitNeg);
        a.jmp(bsetLoop);
        a.bind(bsetDone);
        // capset(&header, &data): no effective, permitted or inheritable capability (and so no
        // ambient one). Before the filter, which does not allow capset.
        a.movImm(RAX, Amd64Sysno.SYS_CAPSET).lea(RDI, RBX, argOffset(ARG_CAP_HEADER)).lea(RSI, RBX, argOffset(ARG_CAP_DATA));
        a.syscall();
        a.testRegReg(RAX, RAX).jcc(Cond.NE, exitNeg);
        // prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0): required for an unprivileged seccomp filter.
        a.movImm(RAX, Amd64Sysno.SYS_PRCTL).movImm(RDI, Prctl.PR_SET_NO_NEW_PRIVS).movImm(RSI, 1);
        a.movImm(RDX, 0).movImm(R10, 0).movImm(R8, 0).syscall();
        a.testRegReg(RAX, RAX).jcc(Cond.NE, exitNeg);
        // seccomp(SECCOMP_SET_MODE_FILTER, flags, fprog); a positive result is the TID that
        // failed TSYNC -> ENOTUNIQ (seccomp(2), SECCOMP_FILTER_FLAG_TSYNC; gVisor's attachedThread).
        a.movLoad(RDX, RBX, argOffset(ARG_FPROG)).testRegReg(RDX, RDX).jcc(Cond.E, noFilter);
        a.movImm(RAX, Amd64Sysno.SYS_SECCOMP).movImm(RDI, Prctl.SECCOMP_SET_MODE_FILTER);
        a.movLoad(RSI, RBX, argOffset(ARG_SECCOMP_FLAGS));
        a.syscall();
        a.testRegReg(RAX, RAX).jcc(Cond.L, exitNeg).jcc(Cond.G, exitNotuniq);
        a.bind(noFilter);
        // arch_prctl(ARCH_SET_CPUID, 0): CPUID faulting; the result is ignored (gVisor's enableCpuidFault, subprocess_amd64.go).
        a.movLoad(RAX, RBX, argOffset(ARG_CPUID_FAULT)).testRegReg(RAX, RAX).jcc(Cond.E, noCpuid);
        a.movImm(RAX, Amd64Sysno.SYS_ARCH_PRCTL).movImm(RDI, ARCH_SET_CPUID).movImm(RSI, 0).syscall();
        a.bind(noCpuid);
        // stubCall(stubStart, ppid): r15 = expected parent pid, jump to the stub (gVisor's stubCall, stub_amd64.s).
        a.movLoad(R15, RBX, argOffset(ARG_PPID)).movLoad(RAX, RBX, argOffset(ARG_STUB_ENTRY)).jmpReg(RAX);
        a.bind(exitNotuniq).movImm(RDI, Errno.ENOTUNIQ).jmp(exit);
        a.bind(exitNeg).movRegReg(RDI, RAX).negReg(RDI);
        a.bind(exit).movImm(RAX, Amd64Sysno.SYS_EXIT).syscall();
        a.hlt();
        return a.assemble();
    }
}
