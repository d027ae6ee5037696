package dev.tether.guest;

import dev.tether.api.Registers;

/**
 * The user state of one guest thread (gVisor's {@code arch.Context} + {@code platform.Context}):
 * general registers, FP/vector state, TLS. {@link #switchTo()} loads it into the calling Java
 * thread's own system-call-emulation stub thread of the address space, runs the guest until the next
 * event and saves the state back. Not thread-safe: one Java thread uses a context at a time; only
 * {@link #interrupt()} may be called from any thread.
 */
@org.osgi.annotation.versioning.ProviderType
public interface GuestContext {

    /** The address space this context runs in. */
    GuestAddressSpace addressSpace();

    /** The general registers (a copy), in the arch's {@code user_regs_struct} / {@code user_pt_regs} layout. */
    Registers registers();

    /** Replaces the general registers (same arch and layout as {@link #registers()}). */
    void setRegisters(Registers registers);

    /** One general register by its name in {@link #registers()}. */
    long register(String name);

    /** Sets one general register by name. */
    void setRegister(String name, long value);

    long instructionPointer();

    void setInstructionPointer(long ip);

    long stackPointer();

    void setStackPointer(long sp);

    /** The result register of a system call (rax / x0): what the guest sees its syscall return. */
    void setSyscallResult(long value);

    /** The thread pointer (amd64 {@code fs_base}, arm64 {@code TPIDR_EL0}). */
    long tls();

    void setTls(long value);

    /**
     * The FP/vector state as the kernel's regset bytes (with {@link #setLazyFloatingPoint lazy FP
     * state}: call it on the thread that switched last) (amd64: {@code NT_X86_XSTATE}, or
     * {@code NT_PRFPREG} where XSTATE is not offered; arm64: {@code NT_PRFPREG}), a copy. Before
     * the first switch it is the state that switch loads (a fresh thread's). The ptrace platform's
     * is always the regset's size; the trap platform's is its signal frame's FP area, on amd64 the
     * 512-byte FXSAVE area until the first switch and the frame's whole XSAVE area after it.
     */
    byte[] floatingPointState();

    /**
     * Replaces the FP/vector state; it is written to the guest at the next switch only.
     *
     * @throws IllegalArgumentException when {@code state} has a size this platform cannot take
     *     (ptrace: any but the regset's; trap: less than the FXSAVE/FPSIMD area) or values the
     *     kernel would refuse (trap checks amd64's MXCSR against MXCSR_MASK)
     */
    void setFloatingPointState(byte[] state);

    /**
     * Lazy FP state: {@code true} leaves the FP/vector state in the stub thread at each stop and reads
     * it only when {@link #floatingPointState()} is called (one PTRACE_GETREGSET less per switch: the
     * floor's {@code ptrace_sysemu} rather than {@code ptrace_sysemu_fpget}). The context must then be
     * switched, and its FP state read, by the thread that switched it last: another thread gets an
     * {@link IllegalStateException} until that thread has read the state ({@link #floatingPointState()})
     * or Java replaced it ({@link #setFloatingPointState(byte[])}). Default {@code false}: read at every
     * stop, any thread may switch next.
     */
    void setLazyFloatingPoint(boolean lazy);

    /** Whether the next switch runs one instruction only (then a {@link GuestEvent.Fault} SIGTRAP). */
    void setSingleStep(boolean singleStep);

    /**
     * Runs the guest until its next event.
     *
     * @throws IllegalStateException if another thread is switched into this context now
     * @throws dev.tether.api.PlatformClosedException if the platform is closed
     */
    GuestEvent switchTo();

    /**
     * Makes a {@link #switchTo()} that runs now (or the next one, if none runs) return
     * {@link GuestEvent.Interrupted}. Any thread may call it.
     */
    void interrupt();
}
