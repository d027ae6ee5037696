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
        return render(p, null);
    }

    /**
     * The listing of {@code p}, each line followed by what {@code annotator} says of it.
     *
     * @throws BpfException (INVALID_OPCODE) with the pc of an unknown opcode
     */
    public static String disassemble(Program p, Annotator annotator) {
        return render(p, annotator);
    }

    /** The text of one instruction, with relative jump offsets. */
    public static String text(SockFilter f) {
        return Instruction.decode(f).toString();
    }

    private static String render(Program p, Annotator annotator) {
        return Listing.render(p.size(), p::get, annotator == null ? null : annotator::comment, false);
    }
}
