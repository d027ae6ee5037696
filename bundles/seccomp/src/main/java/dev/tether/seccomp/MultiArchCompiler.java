package dev.tether.seccomp;

import dev.tether.bpf.Bpf;
import dev.tether.bpf.BpfException;
import dev.tether.bpf.Program;
import dev.tether.bpf.SockFilter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Compiles a {@link MultiArchPolicy} into one seccomp program: an arch-check prologue, then each
 * ABI's body as {@link SeccompCompiler} compiles it for that ABI alone, minus its own arch check.
 * The layout follows libseccomp's {@code gen_bpf_generate} (src/gen_bpf.c): the arches are checked
 * one after the other, each check followed by its body, and a call of no listed arch ends at the
 * bad-arch action:
 *
 * <pre>
 *   ld  [4]                      arch
 *   jeq AUDIT_ARCH_1, +1, 0
 *   ja  next1                    (A still holds the arch there)
 *   body 1 ...
 * next1:
 *   jeq AUDIT_ARCH_2, +1, 0
 *   ja  next2
 *   body 2 ...
 * next2:
 *   ret bad-arch action
 * </pre>
 *
 * So the first arch's calls execute exactly the single-arch program; each later arch costs two
 * more instructions per arch before it. amd64 and x32 share AUDIT_ARCH_X86_64: their body splits on
 * {@code __X32_SYSCALL_BIT} first ({@link MultiArchPolicy} says how). The compiler's own
 * dispatch inside each body is left to {@link SeccompCompiler}.
 */
public final class MultiArchCompiler {
    private static final int NR = SeccompData.OFFSET_NR;
    private static final int ARCH = SeccompData.OFFSET_ARCH;
    private static final int LD_ABS = Bpf.BPF_LD | Bpf.BPF_W | Bpf.BPF_ABS;

    private MultiArchCompiler() {
    }

    /** With {@link SeccompCompiler.Options#DEFAULT}. */
    public static Program compile(MultiArchPolicy policy) {
        return compile(policy, SeccompCompiler.Options.DEFAULT);
    }

    /**
     * Compiles {@code policy}; a single part (other than x32 alone) compiles to exactly what
     * {@link SeccompCompiler} gives.
     *
     * @throws SeccompCompileException when the program exceeds 4096 instructions (BPF_MAXINSNS)
     */
    public static Program compile(MultiArchPolicy policy, SeccompCompiler.Options options) {
        Map<Integer, List<MultiArchPolicy.Part>> groups = new LinkedHashMap<>();
        for (MultiArchPolicy.Part p : policy.parts()) {
            groups.computeIfAbsent(p.table().auditArch(), k -> new ArrayList<>()).add(p);
        }
        Action bad = policy.badArchAction();
        if (policy.parts().size() == 1 && !MultiArchPolicy.isForeign(policy.parts().get(0).table())) {
            MultiArchPolicy.Part p = policy.parts().get(0);
            return SeccompCompiler.compile(p.policy().withBadArch(bad), p.table(), options);
        }
        List<SockFilter> out = new ArrayList<>();
        out.add(SockFilter.stmt(LD_ABS, ARCH));
        for (Map.Entry<Integer, List<MultiArchPolicy.Part>> g : groups.entrySet()) {
            List<SockFilter> body = groupBody(g.getValue(), bad, options);
            out.add(SockFilter.jump(Bpf.BPF_JMP | Bpf.BPF_JEQ | Bpf.BPF_K, g.getKey(), 1, 0));
            out.add(SockFilter.stmt(Bpf.BPF_JMP | Bpf.BPF_JA | Bpf.BPF_K, body.size()));
            out.addAll(body);
        }
        out.add(SockFilter.stmt(Bpf.BPF_RET | Bpf.BPF_K, bad.value()));
        if (out.size() > Bpf.BPF_MAXINSNS) {
            throw new SeccompCompileException("seccomp program too large: " + out.size() + " instructions for "
                    + policy.parts().size() + " architectures, the kernel accepts at most " + Bpf.BPF_MAXINSNS + " (BPF_MAXINSNS)");
        }
        Program p = Program.of(out);
        try {
            SeccompValidator.check(p);
        } catch (BpfException e) {
            throw new IllegalStateException("internal error: the multi-arch seccomp program is invalid: " + e.getMessage(), e);
        }
        return p;
    }

    /** The code of one audit arch, entered with A = the arch. */
    private static List<SockFilter> groupBody(List<MultiArchPolicy.Part> group, Action bad, SeccompCompiler.Options options) {
        Optional<MultiArchPolicy.Part> foreign = MultiArchPolicy.foreignPart(group);
        if (foreign.isEmpty()) {
            MultiArchPolicy.Part p = group.get(0);
            return body(p.policy().withBadArch(bad), p.table(), options);
        }
        int bit = CompatSyscallTables.X32_SYSCALL_BIT;
        MultiArchPolicy.Part x = foreign.get();
        List<SockFilter> xBody = body(x.policy().withBadArch(bad), x.table(), options);
        List<SockFilter> out = new ArrayList<>();
        out.add(SockFilter.stmt(LD_ABS, NR));
        if (group.size() == 1) {
            // x32 alone (libseccomp's "filter out x86_64"): nr >= bit unsigned, else bad arch
            out.add(SockFilter.jump(Bpf.BPF_JMP | Bpf.BPF_JGE | Bpf.BPF_K, bit, 1, 0));
            out.add(SockFilter.stmt(Bpf.BPF_RET | Bpf.BPF_K, bad.value()));
            out.addAll(xBody);
            return out;
        }
        MultiArchPolicy.Part n = group.get(0) == x ? group.get(1) : group.get(0);
        List<SockFilter> nBody = body(MultiArchPolicy.nativeWithForeign(n.policy()).withBadArch(bad), n.table(), options);
        // nr >= bit && nr != -1 -> x32's body, else the native body
        out.add(SockFilter.jump(Bpf.BPF_JMP | Bpf.BPF_JGE | Bpf.BPF_K, bit, 0, 2));
        out.add(SockFilter.jump(Bpf.BPF_JMP | Bpf.BPF_JEQ | Bpf.BPF_K, -1, 1, 0));
        out.add(SockFilter.stmt(Bpf.BPF_JMP | Bpf.BPF_JA | Bpf.BPF_K, nBody.size()));
        out.addAll(nBody);
        out.addAll(xBody);
        return out;
    }

    /**
     * {@link SeccompCompiler}'s program for one ABI without its leading arch check
     * ({@code ld [4]; jeq arch}), which the prologue has made. Jumps are relative and only go
     * forward, so what follows is unchanged; it is dropped only when the next instruction does not
     * read A (a load or a return), else kept (then A must still hold the arch, as it does).
     */
    static List<SockFilter> body(Policy policy, SyscallTable table, SeccompCompiler.Options options) {
        List<SockFilter> code = SeccompCompiler.compile(policy, table, options).sockFilters();
        boolean archCheck = code.size() > 2 && code.get(0).code() == LD_ABS && code.get(0).k() == ARCH
                && code.get(1).code() == (Bpf.BPF_JMP | Bpf.BPF_JEQ | Bpf.BPF_K) && code.get(1).k() == table.auditArch()
                && code.get(1).jt() == 0;
        if (archCheck) {
            int next = code.get(2).code();
            if (next == LD_ABS || next == (Bpf.BPF_RET | Bpf.BPF_K)) {
                return code.subList(2, code.size());
            }
        }
        return code;
    }
}
