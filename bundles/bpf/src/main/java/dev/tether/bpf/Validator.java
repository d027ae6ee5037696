package dev.tether.bpf;

import static dev.tether.bpf.Bpf.*;

import dev.tether.bpf.BpfException.Kind;

/**
 * The kernel's load-time checks of classic BPF programs, so that a program can be rejected with a
 * precise message before the kernel answers a bare EINVAL (for a socket filter,
 * {@code SO_ATTACH_FILTER}; users with rules of their own, such as seccomp, add them after these).
 *
 * <p>{@link #checkClassic(Program)} is net/core/filter.c: {@code bpf_check_basics_ok},
 * {@code bpf_check_classic} (opcode whitelist {@code chk_code_allowed}, division by constant zero,
 * constant shifts &gt;= 32, scratch index &lt; 16, jumps inside the program, no unknown ancillary
 * load, last instruction RET) and {@code check_load_and_stores} (scratch memory read before it
 * was written on some path). Checks run in the kernel's order, so the reported pc is the one the
 * kernel stops at.
 */
public final class Validator {
    private Validator() {
    }

    /**
     * Checks {@code p} as the kernel checks a socket filter.
     *
     * @throws BpfException describing the first problem and its pc
     */
    public static void checkClassic(Program p) {
        int len = p.size();
        if (len == 0 || len > BPF_MAXINSNS) {
            throw new BpfException(Kind.INSTRUCTION_COUNT, -1,
                    "program has " + len + " instructions; the kernel accepts 1.." + BPF_MAXINSNS + " (BPF_MAXINSNS)");
        }
        for (int pc = 0; pc < len; pc++) {
            int code = p.code(pc);
            int k = p.k(pc);
            if (!codeAllowed(code)) {
                throw new BpfException(Kind.INVALID_OPCODE, pc, String.format("opcode 0x%04x is not a classic BPF instruction", code));
            }
            switch (code) {
                case BPF_ALU | BPF_DIV | BPF_K:
                case BPF_ALU | BPF_MOD | BPF_K:
                    if (k == 0) {
                        throw new BpfException(Kind.DIVISION_BY_ZERO, pc, "division by constant zero");
                    }
                    break;
                case BPF_ALU | BPF_LSH | BPF_K:
                case BPF_ALU | BPF_RSH | BPF_K:
                    if (Integer.compareUnsigned(k, 32) >= 0) {
                        throw new BpfException(Kind.INVALID_SHIFT, pc, "shift by " + Integer.toUnsignedString(k) + " (must be < 32)");
                    }
                    break;
                case BPF_LD | BPF_MEM:
                case BPF_LDX | BPF_MEM:
                case BPF_ST:
                case BPF_STX:
                    if (Integer.compareUnsigned(k, BPF_MEMWORDS) >= 0) {
                        throw new BpfException(Kind.INVALID_REGISTER, pc,
                                "scratch memory M[" + Integer.toUnsignedString(k) + "] does not exist (M[0.." + (BPF_MEMWORDS - 1) + "])");
                    }
                    break;
                case BPF_JMP | BPF_JA:
                    // filter.c: k >= flen - pc - 1 (unsigned) leaves the program.
                    if (Integer.toUnsignedLong(k) >= (long) len - pc - 1) {
                        throw new BpfException(Kind.INVALID_JUMP, pc, "jump over " + Integer.toUnsignedString(k)
                                + " instructions leaves the program (target " + (pc + 1 + Integer.toUnsignedLong(k)) + ", length " + len + ")");
                    }
                    break;
                case BPF_LD | BPF_W | BPF_ABS:
                case BPF_LD | BPF_H | BPF_ABS:
                case BPF_LD | BPF_B | BPF_ABS:
                    if (Integer.compareUnsigned(k, SKF_AD_OFF) >= 0 && !isAncillary(k)) {
                        throw new BpfException(Kind.INVALID_LOAD, pc, String.format("unknown ancillary load at offset 0x%08x", k));
                    }
                    break;
                default:
                    if (isConditionalJump(code)) {
                        int jt = p.jt(pc);
                        int jf = p.jf(pc);
                        if (pc + jt + 1 >= len || pc + jf + 1 >= len) {
                            throw new BpfException(Kind.INVALID_JUMP, pc, "conditional jump (jt " + jt + ", jf " + jf
                                    + ") leaves the program (targets " + (pc + jt + 1) + " and " + (pc + jf + 1) + ", length " + len + ")");
                        }
                    }
                    break;
            }
        }
        if (!isReturn(p.code(len - 1))) {
            throw new BpfException(Kind.INVALID_END, len - 1, "the last instruction is not RET, so execution could fall off the end");
        }
        checkLoadAndStores(p);
    }

    /** net/core/filter.c {@code chk_code_allowed}: the opcodes classic BPF knows. */
    public static boolean codeAllowed(int code) {
        switch (code) {
            case BPF_ALU | BPF_ADD | BPF_K: case BPF_ALU | BPF_ADD | BPF_X:
            case BPF_ALU | BPF_SUB | BPF_K: case BPF_ALU | BPF_SUB | BPF_X:
            case BPF_ALU | BPF_MUL | BPF_K: case BPF_ALU | BPF_MUL | BPF_X:
            case BPF_ALU | BPF_DIV | BPF_K: case BPF_ALU | BPF_DIV | BPF_X:
            case BPF_ALU | BPF_MOD | BPF_K: case BPF_ALU | BPF_MOD | BPF_X:
            case BPF_ALU | BPF_AND | BPF_K: case BPF_ALU | BPF_AND | BPF_X:
            case BPF_ALU | BPF_OR | BPF_K: case BPF_ALU | BPF_OR | BPF_X:
            case BPF_ALU | BPF_XOR | BPF_K: case BPF_ALU | BPF_XOR | BPF_X:
            case BPF_ALU | BPF_LSH | BPF_K: case BPF_ALU | BPF_LSH | BPF_X:
            case BPF_ALU | BPF_RSH | BPF_K: case BPF_ALU | BPF_RSH | BPF_X:
            case BPF_ALU | BPF_NEG:
            case BPF_LD | BPF_W | BPF_ABS: case BPF_LD | BPF_H | BPF_ABS: case BPF_LD | BPF_B | BPF_ABS:
            case BPF_LD | BPF_W | BPF_LEN:
            case BPF_LD | BPF_W | BPF_IND: case BPF_LD | BPF_H | BPF_IND: case BPF_LD | BPF_B | BPF_IND:
            case BPF_LD | BPF_IMM: case BPF_LD | BPF_MEM:
            case BPF_LDX | BPF_W | BPF_LEN: case BPF_LDX | BPF_B | BPF_MSH:
            case BPF_LDX | BPF_IMM: case BPF_LDX | BPF_MEM:
            case BPF_ST: case BPF_STX:
            case BPF_MISC | BPF_TAX: case BPF_MISC | BPF_TXA:
            case BPF_RET | BPF_K: case BPF_RET | BPF_A:
            case BPF_JMP | BPF_JA:
            case BPF_JMP | BPF_JEQ | BPF_K: case BPF_JMP | BPF_JEQ | BPF_X:
            case BPF_JMP | BPF_JGE | BPF_K: case BPF_JMP | BPF_JGE | BPF_X:
            case BPF_JMP | BPF_JGT | BPF_K: case BPF_JMP | BPF_JGT | BPF_X:
            case BPF_JMP | BPF_JSET | BPF_K: case BPF_JMP | BPF_JSET | BPF_X:
                return true;
            default:
                return false;
        }
    }

    /**
     * filter.c {@code bpf_anc_helper}: the defined ancillary loads {@code SKF_AD_OFF + n} for n in
     * SKF_AD_PROTOCOL (0) .. SKF_AD_VLAN_TPID (60), in steps of 4.
     */
    private static boolean isAncillary(int k) {
        int n = k - SKF_AD_OFF;
        return n >= 0 && n < SKF_AD_MAX && (n & 3) == 0;
    }

    /**
     * filter.c {@code check_load_and_stores}: a forward pass over the program with one "written"
     * bit per scratch word; a jump ANDs its state into its targets' masks and resets the running
     * state. This is the kernel's algorithm, including its conservatism: the state after a RET
     * still flows into the next instruction.
     */
    private static void checkLoadAndStores(Program p) {
        int len = p.size();
        int[] masks = new int[len];
        java.util.Arrays.fill(masks, 0xffff);
        int memvalid = 0;
        for (int pc = 0; pc < len; pc++) {
            memvalid &= masks[pc];
            int code = p.code(pc);
            int k = p.k(pc);
            switch (code) {
                case BPF_ST:
                case BPF_STX:
                    memvalid |= 1 << k;
                    break;
                case BPF_LD | BPF_MEM:
                case BPF_LDX | BPF_MEM:
                    if ((memvalid & (1 << k)) == 0) {
                        throw new BpfException(Kind.UNINITIALIZED_MEMORY, pc,
                                "M[" + k + "] is read before it is written on some path");
                    }
                    break;
                case BPF_JMP | BPF_JA:
                    masks[pc + 1 + k] &= memvalid;
                    memvalid = 0xffff;
                    break;
                default:
                    if (isConditionalJump(code)) {
                        masks[pc + 1 + p.jt(pc)] &= memvalid;
                        masks[pc + 1 + p.jf(pc)] &= memvalid;
                        memvalid = 0xffff;
                    }
                    break;
            }
        }
    }
}
