package dev.tether.seccomp;

import static dev.tether.bpf.Bpf.BPF_ABS;
import static dev.tether.bpf.Bpf.BPF_ALU;
import static dev.tether.bpf.Bpf.BPF_JA;
import static dev.tether.bpf.Bpf.BPF_JMP;
import static dev.tether.bpf.Bpf.BPF_LD;
import static dev.tether.bpf.Bpf.BPF_MISC;
import static dev.tether.bpf.Bpf.BPF_TXA;
import static dev.tether.bpf.Bpf.BPF_W;
import static dev.tether.bpf.Bpf.classOf;
import static dev.tether.bpf.Bpf.isConditionalJump;
import static dev.tether.bpf.Bpf.isReturn;

import dev.tether.bpf.Disassembler;
import dev.tether.bpf.Instruction;
import dev.tether.bpf.JumpCondition;
import dev.tether.bpf.Program;
import dev.tether.bpf.SockFilter;
import java.util.Arrays;
import java.util.function.IntFunction;

/**
 * A seccomp filter as text: the BPF listing of {@link Disassembler} with comments naming the
 * {@code struct seccomp_data} field each load reads ({@code ; nr}, {@code ; arch},
 * {@code ; arg1.lo}, ...), the audit arch or syscall a comparison tests, and the seccomp action
 * each {@code ret} returns (as libseccomp's {@code seccomp_export_pfc} names them).
 */
public final class SeccompDisassembler {
    /** No annotation of its own: A holds no known seccomp_data word. */
    private static final int UNKNOWN = -1;

    private SeccompDisassembler() {
    }

    /**
     * The annotated listing of {@code p}.
     *
     * @throws dev.tether.bpf.BpfException (INVALID_OPCODE) with the pc of an unknown opcode
     */
    public static String disassemble(Program p) {
        return disassemble(p, null);
    }

    /**
     * The annotated listing of {@code p}, naming syscall numbers with {@code syscallName} (which
     * may be null, or return null for unknown numbers).
     *
     * @throws dev.tether.bpf.BpfException (INVALID_OPCODE) with the pc of an unknown opcode
     */
    public static String disassemble(Program p, IntFunction<String> syscallName) {
        int[] aWord = accumulatorSources(p);
        return Disassembler.disassemble(p, (pc, insn) -> comment(insn, aWord[pc], syscallName));
    }

    private static String comment(Instruction insn, int aSource, IntFunction<String> names) {
        if (insn instanceof Instruction.LoadAbsolute l && l.size() == 4) {
            return fieldName(l.off());
        }
        if (insn instanceof Instruction.ReturnConstant r) {
            return actionName(r.k());
        }
        if (insn instanceof Instruction.JumpIf j && j.cond() == JumpCondition.JEQ) {
            if (aSource == SeccompData.OFFSET_ARCH) {
                return archName(j.k());
            }
            if (aSource == SeccompData.OFFSET_NR && names != null) {
                return names.apply(j.k());
            }
        }
        if (insn instanceof Instruction.JumpIf j && aSource == SeccompData.OFFSET_NR && names != null
                && (j.cond() == JumpCondition.JGE || j.cond() == JumpCondition.JGT)) {
            // a range bound of the syscall-number dispatch (DispatchTree): name the first number of the upper range
            int first = j.cond() == JumpCondition.JGE ? j.k() : j.k() + 1;
            String name = j.cond() == JumpCondition.JGT && j.k() == -1 ? null : names.apply(first);
            return name == null ? null : "from " + name;
        }
        return null;
    }

    /** The {@code struct seccomp_data} field at a 4-byte offset (include/uapi/linux/seccomp.h). */
    static String fieldName(int off) {
        if (off < 0 || off >= SeccompData.SIZE || (off & 3) != 0) {
            return null;
        }
        switch (off) {
            case SeccompData.OFFSET_NR: return "nr";
            case SeccompData.OFFSET_ARCH: return "arch";
            case SeccompData.OFFSET_IP: return "ip.lo";
            case SeccompData.OFFSET_IP + 4: return "ip.hi";
            default: return "arg" + (off - SeccompData.OFFSET_ARGS) / 8 + ((off & 4) == 0 ? ".lo" : ".hi");
        }
    }

    /** AUDIT_ARCH_* names (include/uapi/linux/audit.h) for the arches Tether knows. */
    private static String archName(int k) {
        switch (k) {
            case 0xc000003e: return "AUDIT_ARCH_X86_64";  // EM_X86_64 (62) | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE
            case 0xc00000b7: return "AUDIT_ARCH_AARCH64"; // EM_AARCH64 (183) | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE
            case 0x40000003: return "AUDIT_ARCH_I386";    // EM_386 (3) | __AUDIT_ARCH_LE
            default: return null;
        }
    }

    /** SECCOMP_RET_* names (include/uapi/linux/seccomp.h): the action in the top 16 bits, its data below. */
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
     * or {@link #UNKNOWN} (forward dataflow; classic BPF jumps only go forward).
     */
    private static int[] accumulatorSources(Program p) {
        final int unset = -2;
        int n = p.size();
        int[] in = new int[n];
        Arrays.fill(in, unset);
        if (n > 0) {
            in[0] = UNKNOWN;
        }
        for (int pc = 0; pc < n; pc++) {
            if (in[pc] == unset) {
                in[pc] = UNKNOWN; // unreachable: nothing is known
            }
            SockFilter f = p.get(pc);
            int code = f.code();
            int out;
            if (code == (BPF_LD | BPF_W | BPF_ABS)) {
                out = f.k();
            } else if (classOf(code) == BPF_LD || classOf(code) == BPF_ALU || code == (BPF_MISC | BPF_TXA)) {
                out = UNKNOWN;
            } else {
                out = in[pc];
            }
            if (isReturn(code)) {
                continue;
            }
            if (code == (BPF_JMP | BPF_JA)) {
                merge(in, pc + 1 + Integer.toUnsignedLong(f.k()), out, unset);
            } else if (isConditionalJump(code)) {
                merge(in, pc + 1 + f.jt(), out, unset);
                merge(in, pc + 1 + f.jf(), out, unset);
            } else {
                merge(in, pc + 1, out, unset);
            }
        }
        return in;
    }

    private static void merge(int[] in, long target, int v, int unset) {
        if (target >= in.length) {
            return;
        }
        int t = (int) target;
        if (in[t] == unset) {
            in[t] = v;
        } else if (in[t] != v) {
            in[t] = UNKNOWN;
        }
    }
}
