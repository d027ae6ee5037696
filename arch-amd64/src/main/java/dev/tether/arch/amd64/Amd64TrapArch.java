package dev.tether.arch.amd64;

import dev.tether.abi.Signals;
import dev.tether.guest.FaultAccess;
import dev.tether.seccomp.Matcher;
import dev.tether.seccomp.Rule;
import dev.tether.seccomp.SyscallRule;
import dev.tether.spi.MachineCode;
import dev.tether.spi.TetherArch;
import dev.tether.spi.TrapArch;
import dev.tether.spi.TrapRegion;
import dev.tether.spi.support.Assembler.Program;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import org.osgi.service.component.annotations.Component;

/**
 * x86-64 facts of the trap guest platform (docs/trap.md): the handler ({@link Amd64TrapHandler}) and
 * the signal frame's layout, {@code struct ucontext} with {@code struct sigcontext_64} as its
 * {@code uc_mcontext} (arch/x86/include/uapi/asm/sigcontext.h, include/uapi/asm-generic/ucontext.h:
 * {@code uc_flags}, {@code uc_link}, {@code uc_stack} (24 bytes) come first, so the registers start at 40).
 */
@Component(service = TrapArch.class)
@TetherArch(Amd64SyscallTable.ARCH)
public final class Amd64TrapArch implements TrapArch {
    /** Offset of uc_mcontext in ucontext_t. */
    static final int MCONTEXT = 40;
    /** sigcontext_64's words in order: r8..r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags, then cs/gs/fs/ss, err, trapno, oldmask, cr2, fpstate. */
    static final List<String> SIGCONTEXT = List.of("r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rdi", "rsi",
            "rbp", "rbx", "rdx", "rax", "rcx", "rsp", "rip", "eflags");
    /** sigcontext_64.err (word 19): the page-fault error code for SIGSEGV (arch/x86/include/asm/trap_pf.h). */
    static final int ERR = MCONTEXT + 19 * 8;
    /** sigcontext_64.fpstate (word 23). */
    static final int FPSTATE = MCONTEXT + 23 * 8;
    /** X86_PF_WRITE and X86_PF_INSTR of the page-fault error code (arch/x86/include/asm/trap_pf.h). */
    static final long PF_WRITE = 1 << 1;
    static final long PF_INSTR = 1 << 4;
    /** struct _fpx_sw_bytes at offset 464 of the FXSAVE area and its magic (arch/x86/include/uapi/asm/sigcontext.h). */
    static final int SW_BYTES = 464;
    static final int FP_XSTATE_MAGIC1 = 0x46505853;
    /** The legacy FXSAVE area's size, when the frame has no extended state. */
    static final int FXSAVE_SIZE = 512;

    private final MachineCode handler;
    private final int[] frameOffsets;

    /** Public no-arg constructor, for DS and flat class paths. */
    public Amd64TrapArch() {
        Program p = Amd64TrapHandler.assemble();
        handler = new MachineCode(p.code(), 0, p.offsetOf(Amd64TrapHandler.RESTORER), p.listing());
        List<String> names = Amd64RegisterLayout.NAMES;
        frameOffsets = new int[names.size()];
        Arrays.fill(frameOffsets, -1);
        for (int i = 0; i < SIGCONTEXT.size(); i++) {
            frameOffsets[names.indexOf(SIGCONTEXT.get(i))] = MCONTEXT + 8 * i;
        }
    }

    @Override
    public String arch() {
        return Amd64SyscallTable.ARCH;
    }

    @Override
    public MachineCode handler() {
        return handler;
    }

    @Override
    public int[] frameOffsets() {
        return frameOffsets.clone();
    }

    @Override
    public int fpStateSize() {
        return FXSAVE_SIZE;
    }

    /**
     * MXCSR (FXSAVE bytes 24..27) against MXCSR_MASK (bytes 28..31): a bit outside the mask makes FXRSTOR
     * and XRSTOR fault (#GP), and the kernel refuses such a state (fpu__restore_sig and copy_uabi_to_xstate,
     * arch/x86/kernel/fpu/). A mask of 0 means the CPU's default, 0xffbf (Intel SDM vol. 1, 10.5.1.2).
     */
    @Override
    public void checkFpState(byte[] state) {
        requireFxsave(state);
        int mxcsr = le32(state, 24);
        int mask = le32(state, 28);
        if (mask == 0) {
            mask = 0xffbf;
        }
        if ((mxcsr & ~mask) != 0) {
            throw new IllegalArgumentException(String.format("x86-64 FP state: MXCSR 0x%08x has bits outside MXCSR_MASK 0x%08x (0x%08x): "
                    + "the kernel refuses it", mxcsr, mask, mxcsr & ~mask));
        }
    }

    /** Every FP state Java hands in holds at least the FXSAVE area (Intel SDM vol. 1, 10.5.1). */
    private static void requireFxsave(byte[] state) {
        if (state.length < FXSAVE_SIZE) {
            throw new IllegalArgumentException("x86-64 FP state of " + state.length + " bytes: the FXSAVE area alone is " + FXSAVE_SIZE);
        }
    }

    private static int le32(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
    }

    @Override
    public int firstRunFpRegset() {
        return Amd64GuestArch.NT_X86_XSTATE;
    }

    /**
     * A standard-format XSAVE image (Intel SDM vol. 1, 13.4: the legacy region, FXSAVE's layout, in bytes
     * 0..511; the XSAVE header's XSTATE_BV at 512; XCOMP_BV, at 520, 0 for the standard format) of
     * {@link Amd64GuestArch#MAX_XSTATE} bytes: SETREGSET cuts the iovec to the regset's size, and the kernel
     * takes only a whole XSAVE buffer (xstateregs_set, arch/x86/kernel/fpu/regset.c). XSTATE_BV says which
     * components the image holds; every other one is put in its initial state (SDM vol. 1, 13.8, XRSTOR). A
     * 512-byte {@code state} holds x87 and SSE (XSTATE_BV bits 0 and 1); a longer one, an XSAVE area from a
     * signal frame ({@link #fpState}), keeps its own header.
     */
    @Override
    public byte[] firstRunFpState(byte[] state) {
        // XSTATE_BV FP|SSE: x87 and SSE as a fresh thread's (or as a 512-byte state has them), every other component initial
        byte[] image = Amd64GuestArch.freshFpState(Amd64GuestArch.MAX_XSTATE);
        if (state == null) {
            return image;
        }
        requireFxsave(state);
        System.arraycopy(state, 0, image, 0, Math.min(state.length, image.length));
        return image;
    }

    /**
     * The XSAVE area behind {@code sigcontext_64.fpstate}, {@code xstate_size} bytes (from
     * {@code struct _fpx_sw_bytes} when {@code magic1} is {@code FP_XSTATE_MAGIC1}, else the 512-byte FXSAVE
     * area), or null if the pointer leaves the frame's region (the guest can write it).
     */
    @Override
    public byte[] fpState(ByteBuffer region, int ucontext) {
        int off = fpStateOffset(region, ucontext);
        if (off < 0) {
            return null;
        }
        byte[] b = new byte[fpStateLength(region, off)];
        region.get(off, b);
        return b;
    }

    /** Writes {@code state} over the frame's XSAVE area, no further than the area's own length. */
    @Override
    public void putFpState(ByteBuffer region, int ucontext, byte[] state) {
        requireFxsave(state);
        int off = fpStateOffset(region, ucontext);
        if (off < 0) {
            throw new IllegalStateException("the x86-64 signal frame at region offset " + ucontext
                    + " has no fpstate pointer into its region");
        }
        region.put(off, state, 0, Math.min(state.length, fpStateLength(region, off)));
    }

    /**
     * The region offset of the frame's FP area, or -1: {@code fpstate} must point into the same
     * {@link TrapRegion#SIZE}-aligned region as the frame (whose address the handler stored at
     * {@link TrapRegion#UCONTEXT}), with room for the FXSAVE area.
     */
    static int fpStateOffset(ByteBuffer region, int ucontext) {
        if (ucontext < 0 || ucontext + FPSTATE + 8 > region.capacity()) {
            return -1;
        }
        long ptr = le64(region, ucontext + FPSTATE);
        long base = le64(region, TrapRegion.UCONTEXT) - ucontext;
        long off = ptr - base;
        return off >= 0 && off + FXSAVE_SIZE <= Math.min(TrapRegion.SIZE, region.capacity()) ? (int) off : -1;
    }

    /** The FP area's length at {@code offset}: {@code xstate_size} if the software bytes say XSAVE, else 512; never past the region. */
    static int fpStateLength(ByteBuffer region, int offset) {
        int room = Math.min(TrapRegion.SIZE, region.capacity()) - offset;
        if (le(region, offset + SW_BYTES) != FP_XSTATE_MAGIC1) {
            return FXSAVE_SIZE;
        }
        // _fpx_sw_bytes: magic1, extended_size, xfeatures (u64), xstate_size (u32 at +16)
        int n = le(region, offset + SW_BYTES + 16);
        return n < FXSAVE_SIZE ? FXSAVE_SIZE : Math.min(n, room);
    }

    @Override
    public FaultAccess faultAccess(ByteBuffer region, int ucontext, int signo) {
        if (signo != Signals.SIGSEGV) {
            return FaultAccess.UNKNOWN;
        }
        long err = le64(region, ucontext + ERR);
        if ((err & PF_INSTR) != 0) {
            return FaultAccess.EXECUTE;
        }
        return (err & PF_WRITE) != 0 ? FaultAccess.WRITE : FaultAccess.READ;
    }

    /** The little-endian int at {@code offset}, whatever the buffer's order (no copy of the buffer: this runs per event). */
    private static int le(ByteBuffer b, int offset) {
        int v = b.getInt(offset);
        return b.order() == ByteOrder.LITTLE_ENDIAN ? v : Integer.reverseBytes(v);
    }

    private static long le64(ByteBuffer b, int offset) {
        long v = b.getLong(offset);
        return b.order() == ByteOrder.LITTLE_ENDIAN ? v : Long.reverseBytes(v);
    }

    @Override
    public List<SyscallRule> handlerRules(Matcher ip) {
        return List.of(SyscallRule.anyOf(Amd64Sysno.SYS_ARCH_PRCTL, Rule.of(Matcher.eq(Amd64TrapHandler.ARCH_SET_FS)).withIp(ip)));
    }

    @Override
    public boolean tlsByHandler() {
        return true;
    }

    /** True: rt_sigreturn's restore_sigcontext (arch/x86/kernel/signal_64.c) keeps the frame's TF (FIX_EFLAGS, arch/x86/include/asm/sighandling.h). */
    @Override
    public boolean singleStepBySigreturn() {
        return true;
    }
}
