package dev.tether.bpf;

/**
 * Classic BPF opcode fields and limits, with the kernel's names. Opcode fields come from
 * include/uapi/linux/bpf_common.h, {@code BPF_A}, {@code BPF_TAX}/{@code BPF_TXA},
 * {@code BPF_MAXINSNS} and {@code BPF_MEMWORDS} from include/uapi/linux/filter.h. An opcode is
 * the OR of a class, a size/mode (loads) or an operation (ALU, jumps) and a source.
 */
public final class Bpf {
    private Bpf() {
    }

    // Instruction classes (bpf_common.h, BPF_CLASS(code) = code & 0x07).
    /** Load into A. */
    public static final int BPF_LD = 0x00;
    /** Load into X. */
    public static final int BPF_LDX = 0x01;
    /** Store A into scratch memory. */
    public static final int BPF_ST = 0x02;
    /** Store X into scratch memory. */
    public static final int BPF_STX = 0x03;
    /** Arithmetic on A. */
    public static final int BPF_ALU = 0x04;
    /** Jumps. */
    public static final int BPF_JMP = 0x05;
    /** Return. */
    public static final int BPF_RET = 0x06;
    /** Register transfers (TAX, TXA). */
    public static final int BPF_MISC = 0x07;

    // Load sizes (BPF_SIZE(code) = code & 0x18).
    /** 32-bit word. */
    public static final int BPF_W = 0x00;
    /** 16-bit half word. */
    public static final int BPF_H = 0x08;
    /** Byte. */
    public static final int BPF_B = 0x10;

    // Load modes (BPF_MODE(code) = code & 0xe0).
    /** Immediate constant. */
    public static final int BPF_IMM = 0x00;
    /** Absolute offset into the input. */
    public static final int BPF_ABS = 0x20;
    /** Offset X + k into the input. */
    public static final int BPF_IND = 0x40;
    /** Scratch memory word M[k]. */
    public static final int BPF_MEM = 0x60;
    /** Input length. */
    public static final int BPF_LEN = 0x80;
    /** IP header length hack: X = 4 * (P[k] &amp; 0xf). */
    public static final int BPF_MSH = 0xa0;

    // ALU and jump operations (BPF_OP(code) = code & 0xf0).
    /** A + operand. */
    public static final int BPF_ADD = 0x00;
    /** A - operand. */
    public static final int BPF_SUB = 0x10;
    /** A * operand. */
    public static final int BPF_MUL = 0x20;
    /** A / operand (unsigned). */
    public static final int BPF_DIV = 0x30;
    /** A | operand. */
    public static final int BPF_OR = 0x40;
    /** A &amp; operand. */
    public static final int BPF_AND = 0x50;
    /** A &lt;&lt; operand. */
    public static final int BPF_LSH = 0x60;
    /** A &gt;&gt;&gt; operand (logical). */
    public static final int BPF_RSH = 0x70;
    /** -A. */
    public static final int BPF_NEG = 0x80;
    /** A % operand (unsigned; not allowed in seccomp). */
    public static final int BPF_MOD = 0x90;
    /** A ^ operand. */
    public static final int BPF_XOR = 0xa0;

    /** Unconditional jump over k instructions. */
    public static final int BPF_JA = 0x00;
    /** Jump if A == operand. */
    public static final int BPF_JEQ = 0x10;
    /** Jump if A &gt; operand (unsigned). */
    public static final int BPF_JGT = 0x20;
    /** Jump if A &gt;= operand (unsigned). */
    public static final int BPF_JGE = 0x30;
    /** Jump if (A &amp; operand) != 0. */
    public static final int BPF_JSET = 0x40;

    // Sources (BPF_SRC(code) = code & 0x08).
    /** The constant k. */
    public static final int BPF_K = 0x00;
    /** The X register. */
    public static final int BPF_X = 0x08;
    /** Return value source A (filter.h, BPF_RVAL(code) = code &amp; 0x18). */
    public static final int BPF_A = 0x10;

    // Misc operations (filter.h, BPF_MISCOP(code) = code & 0xf8).
    /** X = A. */
    public static final int BPF_TAX = 0x00;
    /** A = X. */
    public static final int BPF_TXA = 0x80;

    /** Longest program the kernel accepts (filter.h). */
    public static final int BPF_MAXINSNS = 4096;
    /** Number of scratch memory words M[0..15] (filter.h). */
    public static final int BPF_MEMWORDS = 16;
    /** Longest conditional jump: jt and jf are u8. */
    public static final int MAX_CONDITIONAL_JUMP = 255;

    /** Start of the ancillary-data load offsets (filter.h {@code SKF_AD_OFF = -0x1000}). */
    public static final int SKF_AD_OFF = -0x1000;
    /** End of the defined ancillary offsets relative to SKF_AD_OFF (filter.h {@code SKF_AD_MAX}). */
    public static final int SKF_AD_MAX = 64;

    /** {@code BPF_CLASS(code)}. */
    public static int classOf(int code) {
        return code & 0x07;
    }

    /** {@code BPF_SIZE(code)}. */
    public static int sizeOf(int code) {
        return code & 0x18;
    }

    /** {@code BPF_MODE(code)}. */
    public static int modeOf(int code) {
        return code & 0xe0;
    }

    /** {@code BPF_OP(code)}. */
    public static int opOf(int code) {
        return code & 0xf0;
    }

    /** {@code BPF_SRC(code)}. */
    public static int srcOf(int code) {
        return code & 0x08;
    }

    /** {@code BPF_RVAL(code)}. */
    public static int rvalOf(int code) {
        return code & 0x18;
    }

    /** {@code BPF_MISCOP(code)}. */
    public static int miscOpOf(int code) {
        return code & 0xf8;
    }

    /** Whether {@code code} is a conditional jump (JEQ, JGT, JGE, JSET with K or X). */
    public static boolean isConditionalJump(int code) {
        return classOf(code) == BPF_JMP && opOf(code) != BPF_JA;
    }

    /** Whether {@code code} is {@code RET K} or {@code RET A}. */
    public static boolean isReturn(int code) {
        return code == (BPF_RET | BPF_K) || code == (BPF_RET | BPF_A);
    }
}
