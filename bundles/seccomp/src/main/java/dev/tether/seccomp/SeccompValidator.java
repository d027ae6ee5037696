package dev.tether.seccomp;

import static dev.tether.bpf.Bpf.*;

import dev.tether.bpf.BpfException;
import dev.tether.bpf.BpfException.Kind;
import dev.tether.bpf.Instruction;
import dev.tether.bpf.Program;
import dev.tether.bpf.Validator;

/**
 * The kernel's load-time checks of a seccomp filter, so that a program can be rejected with a
 * precise message before {@code seccomp(SECCOMP_SET_MODE_FILTER)} answers a bare EINVAL:
 * {@link Validator#checkClassic} (net/core/filter.c {@code bpf_check_classic}), then
 * kernel/seccomp.c {@code seccomp_check_filter}, which runs after it. Checks run in the kernel's
 * order, so the reported pc is the one the kernel stops at.
 */
public final class SeccompValidator {
    private SeccompValidator() {
    }

    /**
     * Checks {@code p} as {@code seccomp(SECCOMP_SET_MODE_FILTER)} does: {@link Validator#checkClassic}
     * then the seccomp whitelist (only aligned 32-bit loads inside the 64-byte
     * {@code struct seccomp_data}; no packet, indirect, half-word, byte or MSH loads; no MOD).
     *
     * @throws BpfException describing the first problem and its pc ({@link Kind#NOT_ALLOWED} for an
     *         opcode seccomp refuses)
     */
    public static void check(Program p) {
        Validator.checkClassic(p);
        for (int pc = 0; pc < p.size(); pc++) {
            int code = p.get(pc).code();
            int k = p.get(pc).k();
            switch (code) {
                case BPF_LD | BPF_W | BPF_ABS:
                    if (Integer.compareUnsigned(k, SeccompData.SIZE) >= 0 || (k & 3) != 0) {
                        throw new BpfException(Kind.INVALID_LOAD, pc, "seccomp load at offset " + Integer.toUnsignedString(k)
                                + " is not a 4-byte aligned offset inside struct seccomp_data (0..60)");
                    }
                    break;
                case BPF_LD | BPF_W | BPF_LEN:
                case BPF_LDX | BPF_W | BPF_LEN:
                    // The kernel rewrites these into "load constant 64" (seccomp_check_filter).
                    break;
                default:
                    if (!seccompAllowed(code)) {
                        throw new BpfException(Kind.NOT_ALLOWED, pc, String.format(
                                "opcode 0x%04x (%s) is not allowed in seccomp filters", code, Instruction.decode(p.get(pc))));
                    }
                    break;
            }
        }
    }

    /**
     * kernel/seccomp.c {@code seccomp_check_filter}'s explicit whitelist (LD W ABS and the LEN
     * loads are handled separately there and here).
     */
    private static boolean seccompAllowed(int code) {
        switch (code) {
            case BPF_RET | BPF_K: case BPF_RET | BPF_A:
            case BPF_ALU | BPF_ADD | BPF_K: case BPF_ALU | BPF_ADD | BPF_X:
            case BPF_ALU | BPF_SUB | BPF_K: case BPF_ALU | BPF_SUB | BPF_X:
            case BPF_ALU | BPF_MUL | BPF_K: case BPF_ALU | BPF_MUL | BPF_X:
            case BPF_ALU | BPF_DIV | BPF_K: case BPF_ALU | BPF_DIV | BPF_X:
            case BPF_ALU | BPF_AND | BPF_K: case BPF_ALU | BPF_AND | BPF_X:
            case BPF_ALU | BPF_OR | BPF_K: case BPF_ALU | BPF_OR | BPF_X:
            case BPF_ALU | BPF_XOR | BPF_K: case BPF_ALU | BPF_XOR | BPF_X:
            case BPF_ALU | BPF_LSH | BPF_K: case BPF_ALU | BPF_LSH | BPF_X:
            case BPF_ALU | BPF_RSH | BPF_K: case BPF_ALU | BPF_RSH | BPF_X:
            case BPF_ALU | BPF_NEG:
            case BPF_LD | BPF_IMM: case BPF_LDX | BPF_IMM:
            case BPF_MISC | BPF_TAX: case BPF_MISC | BPF_TXA:
            case BPF_LD | BPF_MEM: case BPF_LDX | BPF_MEM:
            case BPF_ST: case BPF_STX:
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
}
