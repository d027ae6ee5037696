package dev.tether.bpf;

import static dev.tether.bpf.Bpf.*;

import dev.tether.bpf.BpfException.Kind;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Runs classic BPF programs with Linux semantics (net/core/filter.c and the kernel's classic to
 * eBPF translation): 32-bit unsigned arithmetic, {@code TAX} is {@code X = A} and {@code TXA} is
 * {@code A = X} (gVisor's pkg/bpf/interpreter.go has them swapped; this one does not), a load
 * outside the input or a division by {@code X == 0} ends the program with return value 0, shifts
 * use the low 5 bits of X. Multi-byte loads read the input in the given byte order (network
 * order, big-endian, for packets; the native order, little-endian on amd64 and arm64, for
 * {@code struct seccomp_data}). Ancillary loads (SKF_AD_*) are not emulated and read as out of
 * range. Scratch memory starts zeroed (the kernel's validator guarantees it is never read
 * unwritten).
 *
 * <p>The program does not have to be validated first: a jump out of the program, falling off
 * the end or an unknown opcode is a {@link BpfException} with the pc.
 */
public final class Interpreter {
    private Interpreter() {
    }

    /**
     * The outcome of one run.
     *
     * @param value the filter's return value (for seccomp: the SECCOMP_RET_* action)
     * @param executed how many instructions ran, including the final RET
     */
    public record Result(int value, int executed) {
    }

    /**
     * A run with the program counters it went through.
     *
     * @param result the outcome
     * @param pcs the executed instructions' indexes, in order ({@code pcs.length == result.executed()})
     */
    public record Trace(Result result, int[] pcs) {
        /** Defensive copy of the pcs. */
        public Trace {
            pcs = pcs.clone();
        }

        /** The executed pcs (a copy). */
        @Override
        public int[] pcs() {
            return pcs.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Trace t && t.result.equals(result) && Arrays.equals(t.pcs, pcs);
        }

        @Override
        public int hashCode() {
            return result.hashCode() * 31 + Arrays.hashCode(pcs);
        }

        @Override
        public String toString() {
            return "Trace[" + result + ", pcs=" + Arrays.toString(pcs) + "]";
        }
    }

    /**
     * Runs {@code p} on {@code input}.
     *
     * @throws BpfException if the program jumps out of range, falls off the end or has an
     *         unknown opcode
     */
    public static Result run(Program p, byte[] input, ByteOrder order) {
        return exec(p, input, order, null);
    }

    /** Runs {@code p} on {@code input}, recording every executed pc. */
    public static Trace trace(Program p, byte[] input, ByteOrder order) {
        int[] pcs = new int[Math.max(1, p.size())];
        Result r = exec(p, input, order, pcs);
        return new Trace(r, Arrays.copyOf(pcs, r.executed()));
    }

    private static Result exec(Program p, byte[] in, ByteOrder order, int[] pcs) {
        final boolean big = order == ByteOrder.BIG_ENDIAN;
        final int len = p.size();
        int a = 0;
        int x = 0;
        int[] mem = new int[BPF_MEMWORDS];
        int executed = 0;
        int pc = 0;
        while (pc < len) {
            int code = p.code(pc);
            int k = p.k(pc);
            if (pcs != null) {
                pcs[executed] = pc;
            }
            executed++;
            switch (code) {
                case BPF_LD | BPF_W | BPF_ABS:
                case BPF_LD | BPF_H | BPF_ABS:
                case BPF_LD | BPF_B | BPF_ABS:
                case BPF_LD | BPF_W | BPF_IND:
                case BPF_LD | BPF_H | BPF_IND:
                case BPF_LD | BPF_B | BPF_IND: {
                    long off = Integer.toUnsignedLong(k);
                    if (modeOf(code) == BPF_IND) {
                        off = (off + Integer.toUnsignedLong(x)) & 0xffffffffL;
                    }
                    int size = sizeOf(code) == BPF_W ? 4 : sizeOf(code) == BPF_H ? 2 : 1;
                    if (off + size > in.length) {
                        return new Result(0, executed);
                    }
                    a = load(in, (int) off, size, big);
                    break;
                }
                case BPF_LD | BPF_W | BPF_LEN: a = in.length; break;
                case BPF_LDX | BPF_W | BPF_LEN: x = in.length; break;
                case BPF_LD | BPF_IMM: a = k; break;
                case BPF_LDX | BPF_IMM: x = k; break;
                case BPF_LD | BPF_MEM: a = mem[scratch(pc, k)]; break;
                case BPF_LDX | BPF_MEM: x = mem[scratch(pc, k)]; break;
                case BPF_LDX | BPF_B | BPF_MSH: {
                    long off = Integer.toUnsignedLong(k);
                    if (off >= in.length) {
                        return new Result(0, executed);
                    }
                    x = 4 * (in[(int) off] & 0xf);
                    break;
                }
                case BPF_ST: mem[scratch(pc, k)] = a; break;
                case BPF_STX: mem[scratch(pc, k)] = x; break;
                case BPF_ALU | BPF_NEG: a = -a; break;
                case BPF_MISC | BPF_TAX: x = a; break;
                case BPF_MISC | BPF_TXA: a = x; break;
                case BPF_RET | BPF_K: return new Result(k, executed);
                case BPF_RET | BPF_A: return new Result(a, executed);
                case BPF_JMP | BPF_JA: {
                    long target = pc + 1 + Integer.toUnsignedLong(k);
                    if (target >= len) {
                        throw new BpfException(Kind.INVALID_JUMP, pc, "jump to " + target + " leaves the program (length " + len + ")");
                    }
                    pc = (int) target;
                    continue;
                }
                default:
                    if (classOf(code) == BPF_ALU && (code & ~0xf8) == BPF_ALU) {
                        AluOp op = AluOp.ofBits(opOf(code));
                        if (op == null) {
                            throw invalid(pc, code);
                        }
                        int operand = srcOf(code) == BPF_K ? k : x;
                        if ((op == AluOp.DIV || op == AluOp.MOD) && operand == 0) {
                            // The kernel's translation returns 0 from the filter.
                            return new Result(0, executed);
                        }
                        a = alu(op, a, operand);
                        break;
                    }
                    if (classOf(code) == BPF_JMP && (code & ~0xf8) == BPF_JMP) {
                        JumpCondition c = JumpCondition.ofBits(opOf(code));
                        if (c == null) {
                            throw invalid(pc, code);
                        }
                        boolean taken = c.test(a, srcOf(code) == BPF_K ? k : x);
                        int target = pc + 1 + (taken ? p.jt(pc) : p.jf(pc));
                        if (target >= len) {
                            throw new BpfException(Kind.INVALID_JUMP, pc, "jump to " + target + " leaves the program (length " + len + ")");
                        }
                        pc = target;
                        continue;
                    }
                    throw invalid(pc, code);
            }
            pc++;
        }
        throw new BpfException(Kind.INVALID_END, len - 1, "execution fell off the end of the program without RET");
    }

    private static BpfException invalid(int pc, int code) {
        return new BpfException(Kind.INVALID_OPCODE, pc, String.format("unknown opcode 0x%04x", code));
    }

    private static int scratch(int pc, int k) {
        if (Integer.compareUnsigned(k, BPF_MEMWORDS) >= 0) {
            throw new BpfException(Kind.INVALID_REGISTER, pc, "scratch memory M[" + Integer.toUnsignedString(k) + "] does not exist");
        }
        return k;
    }

    private static int load(byte[] in, int off, int size, boolean big) {
        int v = 0;
        for (int i = 0; i < size; i++) {
            int b = in[off + (big ? i : size - 1 - i)] & 0xff;
            v = (v << 8) | b;
        }
        return v;
    }

    static int alu(AluOp op, int a, int b) {
        switch (op) {
            case ADD: return a + b;
            case SUB: return a - b;
            case MUL: return a * b;
            case DIV: return Integer.divideUnsigned(a, b);
            case MOD: return Integer.remainderUnsigned(a, b);
            case OR: return a | b;
            case AND: return a & b;
            case LSH: return a << b;   // Java masks the count to 5 bits, as the kernel does for X.
            case RSH: return a >>> b;
            default: return a ^ b;
        }
    }
}
