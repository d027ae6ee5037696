package dev.tether.bpf;

import static dev.tether.bpf.Bpf.*;

import java.util.Arrays;
import java.util.function.IntFunction;

/**
 * Classic BPF to text, in the format of gVisor's decoder (pkg/bpf/decoder.go, spec §7.13): one
 * line per instruction, {@code "<pc>: <text>"}, with the absolute target of every jump in
 * brackets ({@code pc += (A == 62) ? 3 [8] : 0 [5]}). Constants below 256 print in decimal,
 * larger ones in hex. {@link #disassembleSeccomp} adds comments naming the
 * {@code struct seccomp_data} field each load reads ({@code ; nr}, {@code ; arch},
 * {@code ; arg1.lo}, ...), the audit arch or syscall a comparison tests, and the seccomp action
 * each {@code ret} returns.
 */
public final class Disassembler {
    private Disassembler() {
    }

    /**
     * The listing of {@code p}.
     *
     * @throws BpfException (INVALID_OPCODE) with the pc of an unknown opcode
     */
    public static String disassemble(Program p) {
        return render(p, false, null, false);
    }

    /** The listing of {@code p}, annotated as a seccomp filter. */
    public static String disassembleSeccomp(Program p) {
        return render(p, true, null, false);
    }

    /**
     * The listing of {@code p}, annotated as a seccomp filter, naming syscall numbers with
     * {@code syscallName} (which may return null for unknown numbers).
     */
    public static String disassembleSeccomp(Program p, IntFunction<String> syscallName) {
        return render(p, true, syscallName, false);
    }

    /** Like {@link #disassemble} but prints unknown opcodes as raw instructions instead of failing. */
    static String lenient(Program p) {
        return render(p, false, null, true);
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

    private static String render(Program p, boolean seccomp, IntFunction<String> names, boolean lenient) {
        int[] aWord = seccomp ? accumulatorSources(p) : null;
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
            if (seccomp) {
                String c = comment(insn, aWord[pc], names);
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

    private static String comment(Instruction insn, int aSource, IntFunction<String> names) {
        if (insn instanceof Instruction.LoadAbsolute l && l.size() == 4) {
            return fieldName(l.off());
        }
        if (insn instanceof Instruction.ReturnConstant r) {
            return actionName(r.k());
        }
        if (insn instanceof Instruction.JumpIf j && j.cond() == JumpCondition.JEQ) {
            if (aSource == 4) {
                return archName(j.k());
            }
            if (aSource == 0 && names != null) {
                return names.apply(j.k());
            }
        }
        if (insn instanceof Instruction.JumpIf j && aSource == 0 && names != null
                && (j.cond() == JumpCondition.JGE || j.cond() == JumpCondition.JGT)) {
            // a range bound of the syscall-number dispatch: name the first number of the upper range
            int first = j.cond() == JumpCondition.JGE ? j.k() : j.k() + 1;
            String name = j.cond() == JumpCondition.JGT && j.k() == -1 ? null : names.apply(first);
            return name == null ? null : "from " + name;
        }
        return null;
    }

    /** The {@code struct seccomp_data} field at a 4-byte offset (include/uapi/linux/seccomp.h). */
    static String fieldName(int off) {
        if (off < 0 || off >= SECCOMP_DATA_SIZE || (off & 3) != 0) {
            return null;
        }
        switch (off) {
            case 0: return "nr";
            case 4: return "arch";
            case 8: return "ip.lo";
            case 12: return "ip.hi";
            default: return "arg" + (off - 16) / 8 + ((off & 4) == 0 ? ".lo" : ".hi");
        }
    }

    /** AUDIT_ARCH_* names (include/uapi/linux/audit.h) for the arches Tether knows. */
    private static String archName(int k) {
        switch (k) {
            case 0xc000003e: return "AUDIT_ARCH_X86_64";
            case 0xc00000b7: return "AUDIT_ARCH_AARCH64";
            case 0x40000003: return "AUDIT_ARCH_I386";
            default: return null;
        }
    }

    /** SECCOMP_RET_* names (include/uapi/linux/seccomp.h). */
    static String actionName(int k) {
        int action = k & 0xffff0000;
        int data = k & 0xffff;
        switch (action) {
            case 0x80000000: return "KILL_PROCESS";
            case 0x00000000: return "KILL_THREAD";
            case 0x00030000: return "TRAP";
            case 0x00050000: return "ERRNO(" + data + ")";
            case 0x7fc00000: return "USER_NOTIF";
            case 0x7ff00000: return "TRACE(" + data + ")";
            case 0x7ffc0000: return "LOG";
            case 0x7fff0000: return "ALLOW";
            default: return null;
        }
    }

    /**
     * For each pc, the seccomp_data offset of the 32-bit word A holds on every path reaching it,
     * or -1 when unknown (forward dataflow; jumps only go forward).
     */
    private static int[] accumulatorSources(Program p) {
        final int unset = -2;
        int n = p.size();
        int[] in = new int[n];
        Arrays.fill(in, unset);
        if (n > 0) {
            in[0] = -1;
        }
        for (int pc = 0; pc < n; pc++) {
            if (in[pc] == unset) {
                in[pc] = -1; // unreachable: nothing is known
            }
            int code = p.code(pc);
            int out;
            if (code == (BPF_LD | BPF_W | BPF_ABS)) {
                out = p.k(pc);
            } else if (classOf(code) == BPF_LD || classOf(code) == BPF_ALU || code == (BPF_MISC | BPF_TXA)) {
                out = -1;
            } else {
                out = in[pc];
            }
            if (isReturn(code)) {
                continue;
            }
            if (code == (BPF_JMP | BPF_JA)) {
                merge(in, pc + 1 + Integer.toUnsignedLong(p.k(pc)), out);
            } else if (isConditionalJump(code)) {
                merge(in, pc + 1 + p.jt(pc), out);
                merge(in, pc + 1 + p.jf(pc), out);
            } else {
                merge(in, pc + 1, out);
            }
        }
        return in;
    }

    private static void merge(int[] in, long target, int v) {
        if (target >= in.length) {
            return;
        }
        int t = (int) target;
        if (in[t] == -2) {
            in[t] = v;
        } else if (in[t] != v) {
            in[t] = -1;
        }
    }
}
