package dev.tether.spi;

import dev.tether.guest.FaultAccess;
import dev.tether.seccomp.Matcher;
import dev.tether.seccomp.SyscallRule;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * What the trap guest platform needs of an architecture (docs/trap.md): the SIGSYS handler's machine
 * code and where the kernel's signal frame keeps the registers. Data and encodings only, like the
 * other arch services; registered with {@link TetherArch}.
 */
@org.osgi.annotation.versioning.ConsumerType
public interface TrapArch {

    String arch();

    /**
     * The code page: the handler at {@link MachineCode#entryOffset()} (a {@code SA_SIGINFO} handler
     * that follows docs/trap.md, section 4, over a {@link TrapRegion}), and the restorer (the
     * {@code sa_restorer}, an {@code rt_sigreturn}) at {@link MachineCode#syscallOffset()}.
     */
    MachineCode handler();

    /**
     * For each word of the arch's general register layout ({@link RegisterLayout}, the
     * {@code NT_PRSTATUS} words), its byte offset in the signal frame's {@code ucontext_t}, or -1
     * where the frame does not hold it (it then stays as the thread has it).
     */
    int[] frameOffsets();

    /**
     * The size in bytes of a new guest thread's FP/vector state, as the last of
     * {@link GuestArch#floatingPointRegsets()} holds it (the regset whose size does not depend on the
     * CPU): amd64 512 ({@code NT_PRFPREG}, the FXSAVE area, Intel SDM vol. 1, 10.5.1), arm64 528
     * ({@code NT_PRFPREG}, {@code struct user_fpsimd_state}, arch/arm64/include/uapi/asm/ptrace.h). The trap
     * platform sets it with that regset before a thread first runs, and refuses a shorter state.
     */
    int fpStateSize();

    /**
     * Checks an FP state Java sets (the layout {@link #fpState} returns) for values the kernel refuses when
     * it loads the state: at rt_sigreturn that would be a SIGSEGV in the guest, before the first run an
     * EINVAL. amd64: MXCSR bits outside the MXCSR_MASK the state carries; arm64: nothing (any FPSR and FPCR
     * value is taken).
     *
     * @throws IllegalArgumentException if {@code state} is shorter than {@link #fpStateSize()}, or naming the
     *     value refused
     */
    void checkFpState(byte[] state);

    /**
     * The regset a new guest thread's whole FP/vector state is written with (PTRACE_SETREGSET) before it
     * first runs: amd64 {@code NT_X86_XSTATE} (the XSAVE area: x87, SSE and every extended component), arm64
     * {@code NT_PRFPREG} (V0..V31, FPSR, FPCR; writing it also drops any SVE state). Whole, because the stub
     * thread the guest thread is made from holds a copy of the vector registers of the JVM thread the stub
     * was cloned from, which must not reach a guest.
     */
    int firstRunFpRegset();

    /**
     * The image {@link #firstRunFpRegset()} is written with: the arch's initial state, with {@code state}
     * (the layout {@link #fpState} returns, at least {@link #fpStateSize()} bytes) in its place if not null.
     * Every part of the FP/vector state that {@code state} does not carry is in its initial state.
     *
     * @throws IllegalArgumentException if {@code state} is shorter than {@link #fpStateSize()}
     */
    byte[] firstRunFpState(byte[] state);

    /**
     * The FP/vector state the signal frame at {@code ucontext} (an offset in {@code region}, a whole
     * {@link TrapRegion} whose {@link TrapRegion#UCONTEXT} word holds that frame's address) carries, as a new
     * array in the layout {@code GuestContext.floatingPointState()} gives: amd64 the frame's XSAVE area
     * (behind {@code sigcontext_64.fpstate}, its length from {@code struct _fpx_sw_bytes}), arm64 the
     * {@code fpsimd_context} record of {@code sigcontext.__reserved} turned into the {@code NT_PRFPREG} layout
     * (arch/x86/include/uapi/asm/sigcontext.h, arch/arm64/include/uapi/asm/sigcontext.h). Null if the frame
     * holds none where the arch expects it: the guest can write its region (docs/trap.md, section 7), so
     * nothing that leads outside the region is followed. Called only when Java asks for the state, never per
     * event.
     */
    byte[] fpState(ByteBuffer region, int ucontext);

    /**
     * Writes {@code state} (the layout {@link #fpState} returns, at least {@link #fpStateSize()} bytes) into
     * the frame at {@code ucontext}, from which rt_sigreturn loads it into the CPU.
     *
     * @throws IllegalArgumentException if {@code state} is shorter than {@link #fpStateSize()}
     * @throws IllegalStateException if the frame holds no FP state where the arch expects it
     */
    void putFpState(ByteBuffer region, int ucontext, byte[] state);

    /** The access that caused fault {@code signo}, from what the frame at {@code ucontext} says. */
    FaultAccess faultAccess(ByteBuffer region, int ucontext, int signo);

    /**
     * The arch's own calls of the handler that the guest thread's filter must allow when made from
     * {@code ip} (amd64: {@code arch_prctl(ARCH_SET_FS)}), beside {@code futex} and {@code rt_sigreturn}.
     */
    List<SyscallRule> handlerRules(Matcher ip);

    /**
     * Whether the handler loads {@link TrapRegion#TLS} into the thread pointer when {@link TrapRegion#SET_TLS}
     * is set (else the frame holds the thread pointer). Where the thread pointer is no general register
     * ({@link GuestArch#tlsRegisterIndex()} -1: arm64's TPIDR_EL0), the handler also stores it at
     * {@link TrapRegion#TLS} on every entry, so that Java reads what the guest set without a system call.
     */
    boolean tlsByHandler();

    /**
     * Whether the single-step flag Java sets in the frame ({@link GuestArch#setSingleStepping}) survives
     * rt_sigreturn, so that the guest stops with SIGTRAP after one instruction: amd64 yes ({@code eflags.TF},
     * arch/x86/kernel/signal.c restores it); arm64 no: rt_sigreturn's {@code valid_user_regs} sets
     * {@code PSTATE.SS} only for a thread ptrace single-steps ({@code TIF_SINGLESTEP},
     * {@code user_regs_reset_single_step} in arch/arm64/kernel/ptrace.c), and a trap guest thread is untraced.
     */
    boolean singleStepBySigreturn();
}
