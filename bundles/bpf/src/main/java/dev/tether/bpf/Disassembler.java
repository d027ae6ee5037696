package dev.tether.bpf;

/**
 * Classic BPF to text, in the format of gVisor's decoder ({@code pkg/bpf/decoder.go},
 * {@code DecodeProgram}): one line per instruction, {@code "<pc>: <text>"}, with the absolute
 * target of every jump in brackets ({@code pc += (A == 62) ? 3 [8] : 0 [5]}). Constants below 256
 * print in decimal, larger ones in hex. What the program's input means is not this class's
 * business: a caller that knows it (for a seccomp filter, {@code SeccompDisassembler} in the
 * seccomp bundle) adds a comment to any line through an {@link Annotator}.
 */
public final class Disassembler {
    /** Says something about one instruction of a listing: a comment for its line, or null. */
    @FunctionalInterface
    public interface Annotator {
        /**
         * @param pc the instruction's index
         * @param insn the decoded instruction
         * @return the comment, printed after {@code "  ; "}, or null for none
         */
        String comment(int pc, Instruction insn);
    }

    private Disassembler() {
    }

    /**
     * The listing of {@code p}.
     *
     * @throws BpfException (INVALID_OPCODE) with the pc of an unknown opcode
     */
    public static String disassemble(Program p) {
        return render(p, null, false);
    }

    /**
     * The listing of {@code p}, each line followed by what {@code annotator} says of it.
     *
     * @throws BpfException (INVALID_OPCODE) with the pc of an unknown opcode
     */
    public static String disassemble(Program p, Annotator annotator) {
        return render(p, annotator, false);
    }

    /** Like {@link #disassemble} but prints unknown opcodes as raw instructions instead of failing. */
    static String lenient(Program p) {
        return render(p, null, true);
    }

    /** The text of one instruction, with relative jump offsets. */
    public static String text(SockFilter f) {
        return Instruction.decode(f).toString();
    }

    /** Formats an unsigned 32-bit constant: decimal below 256, hex above. */
    static String num(int k) {
        if (Integer.compareUnsigned(k, 256) < 0) {
            return Integer.toString(k);
        }
        return "0x" + Integer.toHexString(k);
    }

    private static String render(Program p, Annotator annotator, boolean lenient) {
        StringBuilder sb = new StringBuilder();
        for (int pc = 0; pc < p.size(); pc++) {
            SockFilter f = p.get(pc);
            Instruction insn;
            try {
                insn = Instruction.decode(f);
            } catch (BpfException e) {
                if (!lenient) {
                    throw new BpfException(e.kind(), pc, e.getMessage());
                }
                sb.append(pc).append(": invalid ").append(f).append('\n');
                continue;
            }
            sb.append(pc).append(": ").append(withTargets(insn, pc));
            if (annotator != null) {
                String c = annotator.comment(pc, insn);
                if (c != null) {
                    sb.append("  ; ").append(c);
                }
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private static String withTargets(Instruction insn, int pc) {
        if (insn instanceof Instruction.Jump j) {
            return j + " [" + (pc + 1 + Integer.toUnsignedLong(j.k())) + "]";
        }
        if (insn instanceof Instruction.JumpIf j) {
            return "pc += (A " + j.cond().symbol() + " " + num(j.k()) + ") ? " + j.jt() + " [" + (pc + 1 + j.jt())
                    + "] : " + j.jf() + " [" + (pc + 1 + j.jf()) + "]";
        }
        if (insn instanceof Instruction.JumpIfX j) {
            return "pc += (A " + j.cond().symbol() + " X) ? " + j.jt() + " [" + (pc + 1 + j.jt())
                    + "] : " + j.jf() + " [" + (pc + 1 + j.jf()) + "]";
        }
        return insn.toString();
    }
}
