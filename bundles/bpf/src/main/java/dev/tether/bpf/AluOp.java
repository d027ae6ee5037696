package dev.tether.bpf;

/** ALU operations with a K or X operand (bpf_common.h); negation is {@link Instruction.Negate}. */
public enum AluOp {
    /** Addition, wrapping. */
    ADD(Bpf.BPF_ADD, "+"),
    /** Subtraction, wrapping. */
    SUB(Bpf.BPF_SUB, "-"),
    /** Multiplication, wrapping. */
    MUL(Bpf.BPF_MUL, "*"),
    /** Unsigned division. */
    DIV(Bpf.BPF_DIV, "/"),
    /** Bitwise or. */
    OR(Bpf.BPF_OR, "|"),
    /** Bitwise and. */
    AND(Bpf.BPF_AND, "&"),
    /** Left shift. */
    LSH(Bpf.BPF_LSH, "<<"),
    /** Logical right shift. */
    RSH(Bpf.BPF_RSH, ">>"),
    /** Unsigned remainder (not in seccomp). */
    MOD(Bpf.BPF_MOD, "%"),
    /** Bitwise exclusive or. */
    XOR(Bpf.BPF_XOR, "^");

    private final int bits;
    private final String symbol;

    AluOp(int bits, String symbol) {
        this.bits = bits;
        this.symbol = symbol;
    }

    /** The operation bits ({@code BPF_OP}). */
    public int bits() {
        return bits;
    }

    /** The operator as printed by the disassembler. */
    public String symbol() {
        return symbol;
    }

    /** The operation with these {@code BPF_OP} bits, or null (NEG and unknown values). */
    public static AluOp ofBits(int op) {
        for (AluOp o : values()) {
            if (o.bits == op) {
                return o;
            }
        }
        return null;
    }
}
