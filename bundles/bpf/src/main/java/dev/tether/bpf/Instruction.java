package dev.tether.bpf;

import static dev.tether.bpf.Bpf.*;

/**
 * A classic BPF instruction in typed form. Every instruction {@link #assemble() assembles} to one
 * {@link SockFilter}; {@link #decode(SockFilter)} is the inverse for every opcode the kernel
 * accepts (net/core/filter.c {@code chk_code_allowed}). Fields a form does not use (for example
 * jt/jf of a load) are ignored by the decoder and assembled as zero, as the kernel ignores them.
 *
 * <p>{@code toString()} is the text of gVisor's decoder (pkg/bpf/decoder.go, {@code DecodeInstructions}), with
 * relative jump offsets; {@link Disassembler} adds absolute targets.
 */
public sealed interface Instruction {

    /** The raw {@code struct sock_filter}. */
    SockFilter assemble();

    /**
     * The typed form of a raw instruction.
     *
     * @throws BpfException (INVALID_OPCODE, pc -1) if the opcode is not one the kernel knows
     */
    static Instruction decode(SockFilter f) {
        int code = f.code();
        int k = f.k();
        switch (code) {
            case BPF_LD | BPF_W | BPF_ABS: return new LoadAbsolute(4, k);
            case BPF_LD | BPF_H | BPF_ABS: return new LoadAbsolute(2, k);
            case BPF_LD | BPF_B | BPF_ABS: return new LoadAbsolute(1, k);
            case BPF_LD | BPF_W | BPF_IND: return new LoadIndirect(4, k);
            case BPF_LD | BPF_H | BPF_IND: return new LoadIndirect(2, k);
            case BPF_LD | BPF_B | BPF_IND: return new LoadIndirect(1, k);
            case BPF_LD | BPF_W | BPF_LEN: return new LoadLength(Register.A);
            case BPF_LDX | BPF_W | BPF_LEN: return new LoadLength(Register.X);
            case BPF_LD | BPF_IMM: return new LoadConstant(Register.A, k);
            case BPF_LDX | BPF_IMM: return new LoadConstant(Register.X, k);
            case BPF_LD | BPF_MEM: return new LoadScratch(Register.A, k);
            case BPF_LDX | BPF_MEM: return new LoadScratch(Register.X, k);
            case BPF_LDX | BPF_B | BPF_MSH: return new LoadMemShift(k);
            case BPF_ST: return new StoreScratch(Register.A, k);
            case BPF_STX: return new StoreScratch(Register.X, k);
            case BPF_ALU | BPF_NEG: return new Negate();
            case BPF_JMP | BPF_JA: return new Jump(k);
            case BPF_RET | BPF_K: return new ReturnConstant(k);
            case BPF_RET | BPF_A: return new ReturnA();
            case BPF_MISC | BPF_TAX: return new Tax();
            case BPF_MISC | BPF_TXA: return new Txa();
            default: break;
        }
        if (classOf(code) == BPF_ALU && (code & ~0xf8) == BPF_ALU) {
            AluOp op = AluOp.ofBits(opOf(code));
            if (op != null) {
                return srcOf(code) == BPF_K ? new AluConstant(op, k) : new AluX(op);
            }
        }
        if (classOf(code) == BPF_JMP && (code & ~0xf8) == BPF_JMP) {
            JumpCondition c = JumpCondition.ofBits(opOf(code));
            if (c != null) {
                return srcOf(code) == BPF_K ? new JumpIf(c, k, f.jt(), f.jf()) : new JumpIfX(c, f.jt(), f.jf());
            }
        }
        throw new BpfException(BpfException.Kind.INVALID_OPCODE, -1,
                String.format("unknown opcode 0x%04x", code));
    }

    private static int sizeBits(int size) {
        switch (size) {
            case 4: return BPF_W;
            case 2: return BPF_H;
            case 1: return BPF_B;
            default: throw new BpfException(BpfException.Kind.ENCODING, -1, "load size " + size + " is not 1, 2 or 4");
        }
    }

    private static void checkOffset(String what, int v) {
        if (v < 0 || v > MAX_CONDITIONAL_JUMP) {
            throw new BpfException(BpfException.Kind.ENCODING, -1, what + " " + v + " does not fit in u8");
        }
    }

    /** {@code A <- P[off:size]}: {@code LD|ABS} with size 4 (W), 2 (H) or 1 (B), big-endian for packets. */
    record LoadAbsolute(int size, int off) implements Instruction {
        /** Checks that the size is 1, 2 or 4. */
        public LoadAbsolute {
            sizeBits(size);
        }
        @Override public SockFilter assemble() { return SockFilter.stmt(BPF_LD | sizeBits(size) | BPF_ABS, off); }
        @Override public String toString() { return "A <- P[" + NumberText.num(off) + ":" + size + "]"; }
    }

    /** {@code A <- P[X+off:size]}: {@code LD|IND}. */
    record LoadIndirect(int size, int off) implements Instruction {
        /** Checks that the size is 1, 2 or 4. */
        public LoadIndirect {
            sizeBits(size);
        }
        @Override public SockFilter assemble() { return SockFilter.stmt(BPF_LD | sizeBits(size) | BPF_IND, off); }
        @Override public String toString() { return "A <- P[X+" + NumberText.num(off) + ":" + size + "]"; }
    }

    /** {@code dst <- value}: {@code LD|IMM} or {@code LDX|IMM}. */
    record LoadConstant(Register dst, int value) implements Instruction {
        @Override public SockFilter assemble() {
            return SockFilter.stmt((dst == Register.A ? BPF_LD : BPF_LDX) | BPF_IMM, value);
        }
        @Override public String toString() { return dst + " <- " + NumberText.num(value); }
    }

    /** {@code dst <- M[n]}: {@code LD|MEM} or {@code LDX|MEM}. */
    record LoadScratch(Register dst, int n) implements Instruction {
        @Override public SockFilter assemble() {
            return SockFilter.stmt((dst == Register.A ? BPF_LD : BPF_LDX) | BPF_MEM, n);
        }
        @Override public String toString() { return dst + " <- M[" + Integer.toUnsignedString(n) + "]"; }
    }

    /** {@code dst <- len}: {@code LD|W|LEN} or {@code LDX|W|LEN} (seccomp: always 64). */
    record LoadLength(Register dst) implements Instruction {
        @Override public SockFilter assemble() {
            return SockFilter.stmt((dst == Register.A ? BPF_LD : BPF_LDX) | BPF_W | BPF_LEN, 0);
        }
        @Override public String toString() { return dst + " <- len"; }
    }

    /** {@code X <- 4*(P[off:1]&0xf)}: {@code LDX|B|MSH}. */
    record LoadMemShift(int off) implements Instruction {
        @Override public SockFilter assemble() { return SockFilter.stmt(BPF_LDX | BPF_B | BPF_MSH, off); }
        @Override public String toString() { return "X <- 4*(P[" + NumberText.num(off) + ":1]&0xf)"; }
    }

    /** {@code M[n] <- src}: {@code ST} or {@code STX}. */
    record StoreScratch(Register src, int n) implements Instruction {
        @Override public SockFilter assemble() { return SockFilter.stmt(src == Register.A ? BPF_ST : BPF_STX, n); }
        @Override public String toString() { return "M[" + Integer.toUnsignedString(n) + "] <- " + src; }
    }

    /** {@code A <- A op k}: {@code ALU|op|K}. */
    record AluConstant(AluOp op, int k) implements Instruction {
        @Override public SockFilter assemble() { return SockFilter.stmt(BPF_ALU | op.bits() | BPF_K, k); }
        @Override public String toString() { return "A <- A " + op.symbol() + " " + NumberText.num(k); }
    }

    /** {@code A <- A op X}: {@code ALU|op|X}. */
    record AluX(AluOp op) implements Instruction {
        @Override public SockFilter assemble() { return SockFilter.stmt(BPF_ALU | op.bits() | BPF_X, 0); }
        @Override public String toString() { return "A <- A " + op.symbol() + " X"; }
    }

    /** {@code A <- -A}: {@code ALU|NEG}. */
    record Negate() implements Instruction {
        @Override public SockFilter assemble() { return SockFilter.stmt(BPF_ALU | BPF_NEG, 0); }
        @Override public String toString() { return "A <- -A"; }
    }

    /** {@code pc += k}: {@code JMP|JA}, an unconditional forward jump over k instructions. */
    record Jump(int k) implements Instruction {
        @Override public SockFilter assemble() { return SockFilter.stmt(BPF_JMP | BPF_JA, k); }
        @Override public String toString() { return "pc += " + Integer.toUnsignedString(k); }
    }

    /** {@code pc += (A cond k) ? jt : jf}: {@code JMP|cond|K}. */
    record JumpIf(JumpCondition cond, int k, int jt, int jf) implements Instruction {
        /** Checks that jt and jf fit in u8. */
        public JumpIf {
            checkOffset("jt", jt);
            checkOffset("jf", jf);
        }
        @Override public SockFilter assemble() { return SockFilter.jump(BPF_JMP | cond.bits() | BPF_K, k, jt, jf); }
        @Override public String toString() {
            return "pc += (A " + cond.symbol() + " " + NumberText.num(k) + ") ? " + jt + " : " + jf;
        }
    }

    /** {@code pc += (A cond X) ? jt : jf}: {@code JMP|cond|X}. */
    record JumpIfX(JumpCondition cond, int jt, int jf) implements Instruction {
        /** Checks that jt and jf fit in u8. */
        public JumpIfX {
            checkOffset("jt", jt);
            checkOffset("jf", jf);
        }
        @Override public SockFilter assemble() { return SockFilter.jump(BPF_JMP | cond.bits() | BPF_X, 0, jt, jf); }
        @Override public String toString() { return "pc += (A " + cond.symbol() + " X) ? " + jt + " : " + jf; }
    }

    /** {@code ret k}: {@code RET|K}. */
    record ReturnConstant(int k) implements Instruction {
        @Override public SockFilter assemble() { return SockFilter.stmt(BPF_RET | BPF_K, k); }
        @Override public String toString() { return "ret " + NumberText.num(k); }
    }

    /** {@code ret A}: {@code RET|A}. */
    record ReturnA() implements Instruction {
        @Override public SockFilter assemble() { return SockFilter.stmt(BPF_RET | BPF_A, 0); }
        @Override public String toString() { return "ret A"; }
    }

    /** {@code X <- A}: {@code MISC|TAX} (Linux semantics; gVisor's interpreter swaps TAX/TXA
     * in pkg/bpf/interpreter.go). */
    record Tax() implements Instruction {
        @Override public SockFilter assemble() { return SockFilter.stmt(BPF_MISC | BPF_TAX, 0); }
        @Override public String toString() { return "X <- A"; }
    }

    /** {@code A <- X}: {@code MISC|TXA}. */
    record Txa() implements Instruction {
        @Override public SockFilter assemble() { return SockFilter.stmt(BPF_MISC | BPF_TXA, 0); }
        @Override public String toString() { return "A <- X"; }
    }
}
