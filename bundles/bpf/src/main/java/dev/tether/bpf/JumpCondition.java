package dev.tether.bpf;

/** The conditions of classic BPF conditional jumps; all comparisons are unsigned 32-bit. */
public enum JumpCondition {
    /** A == operand. */
    JEQ(Bpf.BPF_JEQ, "=="),
    /** A &gt; operand. */
    JGT(Bpf.BPF_JGT, ">"),
    /** A &gt;= operand. */
    JGE(Bpf.BPF_JGE, ">="),
    /** (A &amp; operand) != 0. */
    JSET(Bpf.BPF_JSET, "&");

    private final int bits;
    private final String symbol;

    JumpCondition(int bits, String symbol) {
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

    /** Evaluates the condition on unsigned 32-bit values. */
    public boolean test(int a, int operand) {
        switch (this) {
            case JEQ: return a == operand;
            case JGT: return Integer.compareUnsigned(a, operand) > 0;
            case JGE: return Integer.compareUnsigned(a, operand) >= 0;
            default: return (a & operand) != 0;
        }
    }

    /** The condition with these {@code BPF_OP} bits, or null (JA and unknown values). */
    public static JumpCondition ofBits(int op) {
        for (JumpCondition c : values()) {
            if (c.bits == op) {
                return c;
            }
        }
        return null;
    }
}
