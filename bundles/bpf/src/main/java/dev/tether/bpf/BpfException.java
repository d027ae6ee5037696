package dev.tether.bpf;

/**
 * A classic BPF program or instruction that is invalid, cannot be assembled, or failed while
 * running. {@link #pc()} is the index of the offending instruction, or -1 when no single
 * instruction is to blame.
 */
public class BpfException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** What kind of problem was found. */
    public enum Kind {
        /** A field does not fit its C type, or a byte array is not a whole number of instructions. */
        ENCODING,
        /** Length 0 or more than BPF_MAXINSNS (4096). */
        INSTRUCTION_COUNT,
        /** An opcode the kernel does not know (or does not allow here). */
        INVALID_OPCODE,
        /**
         * An opcode of classic BPF that the program's user refuses on top of the classic checks
         * (seccomp's validator, in the seccomp bundle, reports its whitelist with this kind).
         */
        NOT_ALLOWED,
        /** A load offset that is out of range or misaligned. */
        INVALID_LOAD,
        /** A scratch memory index outside M[0..15]. */
        INVALID_REGISTER,
        /** A scratch memory word read before it was written on some path. */
        UNINITIALIZED_MEMORY,
        /** Division or modulo by a constant zero. */
        DIVISION_BY_ZERO,
        /** A constant shift of 32 or more. */
        INVALID_SHIFT,
        /** A jump that leaves the program. */
        INVALID_JUMP,
        /** The last instruction is not a RET, or execution fell off the end. */
        INVALID_END,
        /** An assembler label problem (unresolved, duplicate, backward). */
        LABEL
    }

    private final Kind kind;
    private final int pc;

    /**
     * @param kind the kind of problem
     * @param pc the instruction index, or -1
     * @param message what is wrong
     */
    public BpfException(Kind kind, int pc, String message) {
        super(pc >= 0 ? "pc " + pc + ": " + message : message);
        this.kind = kind;
        this.pc = pc;
    }

    /** The kind of problem. */
    public Kind kind() {
        return kind;
    }

    /** The offending instruction's index, or -1. */
    public int pc() {
        return pc;
    }
}
