package dev.tether.spi;

/**
 * What an architecture contributes to running guest code under PTRACE_SYSEMU (gVisor's per-arch
 * {@code updateSyscallRegs}, {@code resetSysemuRegs}, {@code isSingleStepping},
 * {@code patchSignalInfo} in {@code pkg/sentry/platform/ptrace/ptrace_amd64.go} /
 * {@code ptrace_arm64.go}, and the FP/TLS regsets of {@code ptrace_unsafe.go}). Registered as a
 * service with {@value ArchService#ARCH_PROPERTY} ({@link TetherArch}); the general registers are
 * in the words of the arch's {@link RegisterLayout}.
 */
@org.osgi.annotation.versioning.ConsumerType
public interface GuestArch {

    String arch();

    /**
     * The regsets that hold the FP/vector state, most complete first (amd64: NT_X86_XSTATE, then
     * NT_PRFPREG; arm64: NT_PRFPREG). Core uses the first the kernel accepts for a stub thread.
     */
    int[] floatingPointRegsets();

    /**
     * The FP/vector state of a fresh thread (what execve leaves: the x87 control word 0x37f, MXCSR
     * 0x1f80, everything else zero), as {@code size} bytes of {@code regset}. A new guest context starts
     * from it, never from whatever the stub thread's registers held.
     */
    byte[] initialFloatingPointState(int regset, int size);

    /** The largest FP regset the arch defines, in bytes: the buffer for asking the kernel its real size. */
    int maxFloatingPointSize();

    /**
     * The word of the general registers that holds the thread pointer (amd64 {@code fs_base}), or -1
     * if it is a regset of its own ({@link #tlsRegset()}).
     */
    int tlsRegisterIndex();

    /** The regset holding the thread pointer when {@link #tlsRegisterIndex()} is -1 (arm64 NT_ARM_TLS), else 0. */
    int tlsRegset();

    /**
     * resetSysemuRegs: before guest code runs, copy into {@code regs} what must be the stub's (amd64: the
     * segment selectors cs, ss, ds, es, fs, gs from {@code init}); arm64: nothing.
     */
    void resetSysemuRegisters(long[] regs, long[] init);

    /**
     * updateSyscallRegs: after a syscall-entry stop, make {@code regs} hold the syscall number where
     * {@link RegisterLayout#syscallNumberIndex()} says (amd64: rax = orig_rax, since the kernel put
     * -ENOSYS in rax); arm64: nothing.
     */
    void afterSyscallStop(long[] regs);

    /**
     * Whether a syscall stop clobbers a register in what PTRACE_GETREGSET reports, so that core must run
     * gVisor's workaround (arm64: x7 holds the stop direction, {@code arch/arm64/kernel/ptrace.c}
     * {@code report_syscall}; gVisor commit 48ea2c34d).
     */
    boolean syscallStopClobbersRegisters();

    /** isSingleStepping: amd64 {@code eflags & 0x100} (TF), arm64 {@code pstate & (1 << 21)} (SS). */
    boolean singleStepping(long[] regs);

    /** Sets or clears the single-step flag that {@link #singleStepping} reads. */
    void setSingleStepping(long[] regs, boolean on);

    /**
     * patchSignalInfo: the vsyscall fix-up. If a kernel-generated SIGSYS came from the vsyscall page's
     * emulation (amd64), turn it into the SIGSEGV the guest would have got at the vsyscall address: set
     * the IP to {@code callAddress}, pop the return address, and return SIGSEGV; otherwise return
     * {@code signo} unchanged.
     */
    int patchSignal(long[] regs, int signo, long callAddress);

    /** The bytes of the CPUID instruction (amd64 {@code 0F A2}), or an empty array if the arch has none. */
    byte[] cpuidInstruction();
}
