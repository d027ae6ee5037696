package dev.tether.arch.arm64;

import dev.tether.guest.FaultAccess;
import dev.tether.seccomp.Matcher;
import dev.tether.seccomp.SyscallRule;
import dev.tether.spi.MachineCode;
import dev.tether.spi.TetherArch;
import dev.tether.spi.TrapArch;
import dev.tether.spi.support.Assembler.Program;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.osgi.service.component.annotations.Component;

/**
 * aarch64 facts of the trap guest platform (docs/trap.md): the handler ({@link Arm64TrapHandler}) and
 * the signal frame's layout. arm64's {@code struct ucontext} (arch/arm64/include/uapi/asm/ucontext.h:
 * {@code uc_flags}, {@code uc_link}, {@code uc_stack}, {@code uc_sigmask} padded to 1024 bits) holds
 * {@code struct sigcontext} at 176 (arch/arm64/include/uapi/asm/sigcontext.h: {@code fault_address},
 * {@code regs[31]}, {@code sp}, {@code pc}, {@code pstate}, then the 16-byte aligned {@code __reserved}
 * area of records, each a {@code struct _aarch64_ctx} header {magic, size}, ended by a zero header).
 * The tests check every offset against the aarch64 cross compiler's {@code offsetof}.
 *
 * <p>Unlike x86-64, the FP/SIMD state is not behind a pointer: it is the {@code fpsimd_context} record,
 * first in {@code __reserved} ({@code setup_sigframe_layout}, arch/arm64/kernel/signal.c), in a layout
 * other than the {@code NT_PRFPREG} regset's ({@code struct user_fpsimd_state}, asm/ptrace.h):
 * {@link #fpState} and {@link #putFpState} find the record ({@link #fpStateOffset}) and convert.
 */
@Component(service = TrapArch.class)
@TetherArch(Arm64SyscallTable.ARCH)
public final class Arm64TrapArch implements TrapArch {
    /** Offset of uc_mcontext (struct sigcontext) in arm64's ucontext. */
    static final int MCONTEXT = 176;
    /** sigcontext: fault_address, regs[31] (x0..x30), sp, pc, pstate, __reserved (aligned to 16). */
    static final int FAULT_ADDRESS = MCONTEXT;
    static final int REGS = MCONTEXT + 8;
    static final int SP = MCONTEXT + 256;
    static final int PC = MCONTEXT + 264;
    static final int PSTATE = MCONTEXT + 272;
    static final int RESERVED = MCONTEXT + 288;
    /** sizeof(sigcontext.__reserved). */
    static final int RESERVED_SIZE = 4096;

    /** Record magics, arch/arm64/include/uapi/asm/sigcontext.h. */
    static final int FPSIMD_MAGIC = 0x46508001;
    static final int ESR_MAGIC = 0x45535201;
    /** sizeof(struct fpsimd_context): head (8), fpsr, fpcr (4 each), vregs[32] (16 each) at 16. */
    static final int FPSIMD_CONTEXT_SIZE = 528;
    static final int FPSIMD_FPSR = 8;
    static final int FPSIMD_VREGS = 16;
    /** sizeof(struct esr_context): head (8), esr (u64) at 8. */
    static final int ESR_CONTEXT_SIZE = 16;
    /** struct user_fpsimd_state (asm/ptrace.h, the NT_PRFPREG regset): vregs[32] at 0, fpsr at 512, fpcr at 516. */
    static final int USER_FPSIMD_FPSR = 512;

    /**
     * ESR_ELx fields (Arm ARM DDI 0487, register ESR_EL1; the kernel's names in arch/arm64/include/asm/esr.h):
     * EC, bits 31..26, the exception class; for a Data Abort, WnR (bit 6, 1 = the access was a write) and
     * CM (bit 8, a cache maintenance instruction, which reports WnR = 1 but is a read: is_write_abort in
     * arch/arm64/mm/fault.c).
     */
    static final int ESR_EC_SHIFT = 26;
    static final long ESR_WNR = 1L << 6;
    static final long ESR_CM = 1L << 8;
    /** Exception classes (esr.h): Instruction Abort from a lower / the same EL, Data Abort from a lower / the same EL. */
    static final int EC_IABT_LOW = 0x20;
    static final int EC_IABT_CUR = 0x21;
    static final int EC_DABT_LOW = 0x24;
    static final int EC_DABT_CUR = 0x25;

    private final MachineCode handler;
    private final int[] frameOffsets;

    /** Public no-arg constructor, for DS and flat class paths. */
    public Arm64TrapArch() {
        Program p = Arm64TrapHandler.assemble();
        handler = new MachineCode(p.code(), 0, p.offsetOf(Arm64TrapHandler.RESTORER), p.listing());
        // user_pt_regs and sigcontext list x0..x30, sp, pc, pstate in the same order: every word is in the frame
        frameOffsets = new int[Arm64RegisterLayout.NAMES.size()];
        for (int i = 0; i < frameOffsets.length; i++) {
            frameOffsets[i] = REGS + 8 * i;
        }
    }

    @Override
    public String arch() {
        return Arm64SyscallTable.ARCH;
    }

    @Override
    public MachineCode handler() {
        return handler;
    }

    @Override
    public int[] frameOffsets() {
        return frameOffsets.clone();
    }

    /** NT_PRFPREG's size on arm64 ({@code struct user_fpsimd_state}): V0..V31, FPSR, FPCR, 8 reserved bytes. */
    @Override
    public int fpStateSize() {
        return Arm64GuestArch.FPSIMD_SIZE;
    }

    /** Any FPSR and FPCR value is taken (fpr_set, arch/arm64/kernel/ptrace.c; restore_fpsimd_context, signal.c): only the size counts. */
    @Override
    public void checkFpState(byte[] state) {
        requireFpsimd(state);
    }

    /** NT_PRFPREG: all of V0..V31, FPSR and FPCR; fpr_set (arch/arm64/kernel/ptrace.c) also drops SVE state. */
    @Override
    public int firstRunFpRegset() {
        return Arm64GuestArch.NT_PRFPREG;
    }

    @Override
    public byte[] firstRunFpState(byte[] state) {
        if (state == null) {
            return new byte[Arm64GuestArch.FPSIMD_SIZE]; // all zero, as a fresh thread's (Arm64GuestArch.initialFloatingPointState)
        }
        requireFpsimd(state);
        return java.util.Arrays.copyOf(state, Arm64GuestArch.FPSIMD_SIZE);
    }

    /** The offset in {@code region} of the frame's fpsimd_context record, or -1 if the frame at {@code ucontext} has none. */
    public int fpStateOffset(ByteBuffer region, int ucontext) {
        return record(region, ucontext, FPSIMD_MAGIC, FPSIMD_CONTEXT_SIZE);
    }

    /**
     * The frame's FP/SIMD state in the {@code NT_PRFPREG} layout (528 bytes: V0..V31, FPSR, FPCR, 8 reserved
     * bytes, zero), or null if the frame at {@code ucontext} has no fpsimd_context record.
     */
    @Override
    public byte[] fpState(ByteBuffer region, int ucontext) {
        ByteBuffer b = region.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int off = record(b, ucontext, FPSIMD_MAGIC, FPSIMD_CONTEXT_SIZE);
        if (off < 0) {
            return null;
        }
        ByteBuffer out = ByteBuffer.allocate(Arm64GuestArch.FPSIMD_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.get(off + FPSIMD_VREGS, out.array(), 0, 512);
        out.putInt(USER_FPSIMD_FPSR, b.getInt(off + FPSIMD_FPSR)).putInt(USER_FPSIMD_FPSR + 4, b.getInt(off + FPSIMD_FPSR + 4));
        return out.array();
    }

    /**
     * Writes {@code state} (the {@code NT_PRFPREG} layout, at least 528 bytes) into the frame's fpsimd_context
     * record, which rt_sigreturn loads into the CPU, and ends the record list right after it: a following
     * sve_context would otherwise be restored over the new V registers (the Z registers hold them;
     * {@code restore_sigframe} in arch/arm64/kernel/signal.c), as gVisor's {@code restore_state}
     * (pkg/sentry/platform/systrap/sysmsg/sighandler_arm64.c) does when its FP state changed.
     *
     * @throws IllegalArgumentException if {@code state} is too short
     * @throws IllegalStateException if the frame at {@code ucontext} has no fpsimd_context record
     */
    @Override
    public void putFpState(ByteBuffer region, int ucontext, byte[] state) {
        requireFpsimd(state);
        ByteBuffer b = region.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int off = record(b, ucontext, FPSIMD_MAGIC, FPSIMD_CONTEXT_SIZE);
        if (off < 0) {
            throw new IllegalStateException("the arm64 signal frame at region offset " + ucontext + " has no fpsimd_context record");
        }
        ByteBuffer s = ByteBuffer.wrap(state).order(ByteOrder.LITTLE_ENDIAN);
        b.put(off + FPSIMD_VREGS, state, 0, 512);
        b.putInt(off + FPSIMD_FPSR, s.getInt(USER_FPSIMD_FPSR)).putInt(off + FPSIMD_FPSR + 4, s.getInt(USER_FPSIMD_FPSR + 4));
        int next = off + le(b, off + 4);
        if (next + 8 <= Math.min(ucontext + RESERVED + RESERVED_SIZE, b.capacity())) {
            b.putLong(next, 0); // the terminator: magic 0, size 0
        }
    }

    /**
     * The fault's access from the frame's esr_context record, which the kernel adds for faults that set
     * {@code thread.fault_code} ({@code setup_sigframe_layout}, signal.c; the ESR as {@code set_thread_esr} in
     * arch/arm64/mm/fault.c leaves it, EC, WnR and CM kept): an Instruction Abort is an execute, a Data Abort
     * a write if WnR and not CM, else a read; anything else (no record, another class) is unknown.
     */
    @Override
    public FaultAccess faultAccess(ByteBuffer region, int ucontext, int signo) {
        int off = record(region, ucontext, ESR_MAGIC, ESR_CONTEXT_SIZE);
        if (off < 0) {
            return FaultAccess.UNKNOWN;
        }
        long v = esr(region, off);
        switch ((int) (v >>> ESR_EC_SHIFT) & 0x3f) {
            case EC_IABT_LOW:
            case EC_IABT_CUR:
                return FaultAccess.EXECUTE;
            case EC_DABT_LOW:
            case EC_DABT_CUR:
                return (v & ESR_WNR) != 0 && (v & ESR_CM) == 0 ? FaultAccess.WRITE : FaultAccess.READ;
            default:
                return FaultAccess.UNKNOWN;
        }
    }

    /** The ESR of the esr_context record at {@code record}. */
    static long esr(ByteBuffer region, int record) {
        return le(region, record + 8) & 0xffffffffL | (long) le(region, record + 12) << 32;
    }

    /** No call of its own: TPIDR_EL0 needs none (the handler makes only futex and rt_sigreturn, which every arch's filter allows). */
    @Override
    public List<SyscallRule> handlerRules(Matcher ip) {
        return List.of();
    }

    /**
     * True: signal delivery and rt_sigreturn leave TPIDR_EL0 alone (the frame has no record of it), so the
     * handler stores it at {@link dev.tether.spi.TrapRegion#TLS} on every entry (a guest sets it with
     * {@code msr}, without a system call) and loads Java's value from there with {@code msr} when
     * {@link dev.tether.spi.TrapRegion#SET_TLS} is set.
     */
    @Override
    public boolean tlsByHandler() {
        return true;
    }

    /**
     * False: rt_sigreturn's {@code valid_user_regs} (arch/arm64/kernel/ptrace.c) calls
     * {@code user_regs_reset_single_step}, which sets {@code PSTATE.SS} only for a thread with
     * {@code TIF_SINGLESTEP}, the flag ptrace's single-step sets; a trap guest thread is untraced. Seen in
     * {@code ./tether arm64-check}: with SS set in the frame the guest ran on to its next system call.
     */
    @Override
    public boolean singleStepBySigreturn() {
        return false;
    }

    /**
     * The offset of the first record with {@code magic} and at least {@code minSize} bytes in the
     * {@code __reserved} area of the frame at {@code ucontext}, or -1. The guest can write its region
     * (docs/trap.md, section 7), so a header that is too small, unaligned or runs past the area or the
     * region ends the walk instead of being followed; an extra_context's out-of-line records are not followed
     * (the kernel uses them only once SVE/SME state overflows {@code __reserved}, after fpsimd and esr).
     */
    static int record(ByteBuffer b, int ucontext, int magic, int minSize) {
        if (ucontext < 0) {
            return -1;
        }
        long start = (long) ucontext + RESERVED;
        long end = Math.min(start + RESERVED_SIZE, b.capacity());
        for (long off = start; off + 8 <= end; ) {
            int m = le(b, (int) off);
            int size = le(b, (int) off + 4);
            if (m == 0 || size < 16 || size % 16 != 0 || off + size > end) {
                return -1; // the terminator (magic 0, size 0) or a malformed header
            }
            if (m == magic) {
                return size >= minSize ? (int) off : -1;
            }
            off += size;
        }
        return -1;
    }

    /** The little-endian int at {@code offset}, whatever the buffer's order (no copy of the buffer: this runs per event). */
    private static int le(ByteBuffer b, int offset) {
        int v = b.getInt(offset);
        return b.order() == ByteOrder.LITTLE_ENDIAN ? v : Integer.reverseBytes(v);
    }

    /** Every FP state Java hands in is a whole {@code struct user_fpsimd_state} (asm/ptrace.h). */
    private static void requireFpsimd(byte[] state) {
        if (state.length < Arm64GuestArch.FPSIMD_SIZE) {
            throw new IllegalArgumentException("arm64 FP state of " + state.length + " bytes: NT_PRFPREG is V0..V31, FPSR, "
                    + "FPCR and 8 reserved bytes (" + Arm64GuestArch.FPSIMD_SIZE + " bytes)");
        }
    }
}
