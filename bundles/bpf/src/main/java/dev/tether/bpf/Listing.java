package dev.tether.bpf;

import java.util.function.IntFunction;

/**
 * The lines of a listing, for {@link Disassembler} and for {@code Program.toString()}. It takes
 * the instructions and the comments as functions so that a program can list itself without
 * depending on the disassembler, which takes programs.
 */
final class Listing {
    /** A comment for one instruction's line, or null. */
    @FunctionalInterface
    interface Comments {
        String comment(int pc, Instruction insn);
    }

    private Listing() {
    }

    /**
     * One line per instruction, {@code "<pc>: <text>"}, each followed by its comment.
     *
     * @param comments null for none
     * @param lenient print an unknown opcode as the raw instruction instead of failing
     * @throws BpfException (INVALID_OPCODE) with the pc of an unknown opcode, unless lenient
     */
    static String render(int size, IntFunction<SockFilter> instructions, Comments comments, boolean lenient) {
        StringBuilder sb = new StringBuilder();
        for (int pc = 0; pc < size; pc++) {
            SockFilter f = instructions.apply(pc);
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
            if (comments != null) {
                String c = comments.comment(pc, insn);
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
            return "pc += (A " + j.cond().symbol() + " " + NumberText.num(j.k()) + ") ? " + j.jt() + " [" + (pc + 1 + j.jt())
                    + "] : " + j.jf() + " [" + (pc + 1 + j.jf()) + "]";
        }
        if (insn instanceof Instruction.JumpIfX j) {
            return "pc += (A " + j.cond().symbol() + " X) ? " + j.jt() + " [" + (pc + 1 + j.jt())
                    + "] : " + j.jf() + " [" + (pc + 1 + j.jf()) + "]";
        }
        return insn.toString();
    }
}
