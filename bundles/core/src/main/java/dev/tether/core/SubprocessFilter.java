package dev.tether.core;

import dev.tether.bpf.Bpf;
import dev.tether.bpf.Program;
import dev.tether.bpf.SockFilter;
import dev.tether.seccomp.Action;
import dev.tether.seccomp.Matcher;
import dev.tether.seccomp.Policy;
import dev.tether.seccomp.Rule;
import dev.tether.seccomp.RuleSet;
import dev.tether.seccomp.SeccompCompiler;
import dev.tether.seccomp.SyscallRule;
import dev.tether.seccomp.SyscallTable;
import dev.tether.linux.NativeMemory;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The subprocesses' filter, split by instruction pointer (docs/trap.md, section 6): calls made from
 * the stub page (the stub's own and every injected one) are judged by the subprocess policy as
 * before; calls from anywhere else can only come from a trap guest (a ptrace guest's stop before
 * seccomp, {@code PTRACE_SYSEMU}), and are trapped ({@code SECCOMP_RET_TRAP}), except the trap
 * handler's own {@code futex}, {@code rt_sigreturn} and {@code arch_prctl}, which the guest
 * thread's own filter narrows further (gVisor's systrap stub filter has TRAP as its default action
 * for the same reason, {@code attachedThread} in {@code pkg/sentry/platform/systrap/subprocess_linux.go}).
 */
final class SubprocessFilter {
    /** {@code struct seccomp_data}: {@code instruction_pointer} is the u64 at offset 8 (include/uapi/linux/seccomp.h). */
    private static final int IP_OFFSET = 8;
    /** futex(2) operations, include/uapi/linux/futex.h. */
    static final long FUTEX_WAIT = 0;
    static final long FUTEX_WAKE = 1;

    private SubprocessFilter() {
    }

    /** What calls from outside the stub page get: the trap handler's calls allowed, anything else trapped. */
    static Policy outsidePolicy(SyscallTable table) {
        List<SyscallRule> allowed = new ArrayList<>();
        allowed.add(SyscallRule.anyOf(table.require("futex"),
                Rule.of(Matcher.any(), Matcher.eq(FUTEX_WAIT)), Rule.of(Matcher.any(), Matcher.eq(FUTEX_WAKE))));
        allowed.add(SyscallRule.any(table.require("rt_sigreturn")));
        // amd64 only (the arch's syscall table has it): the handler sets the guest's thread pointer
        table.number("arch_prctl").ifPresent(nr -> allowed.add(SyscallRule.any(nr)));
        return new Policy(Action.TRAP, Action.TRAP, List.of(new RuleSet(Action.ALLOW, false, allowed)));
    }

    /**
     * {@code inside} for calls whose IP is in [{@code start}, {@code end}), {@code outside} for all
     * others: a six-instruction header, then the two programs one after the other (each ends in
     * returns and its jumps are relative, so each runs unchanged after the header's jump).
     *
     * @throws IllegalArgumentException if the range crosses a 4 GiB boundary (the header compares
     *         the upper half once) or the result is over the kernel's 4096 instructions
     */
    static Program split(Program inside, Program outside, long start, long end) {
        if ((start >>> 32) != ((end - 1) >>> 32)) {
            throw new IllegalArgumentException(String.format("stub range 0x%x..0x%x crosses a 4 GiB boundary", start, end));
        }
        List<SockFilter> out = new ArrayList<>();
        int ldw = Bpf.BPF_LD | Bpf.BPF_W | Bpf.BPF_ABS;
        int jeq = Bpf.BPF_JMP | Bpf.BPF_JEQ | Bpf.BPF_K;
        int jge = Bpf.BPF_JMP | Bpf.BPF_JGE | Bpf.BPF_K;
        // seccomp_data is in the host's byte order: the upper half of the u64 is at +4 on a little-endian host
        boolean little = NativeMemory.order() == ByteOrder.LITTLE_ENDIAN;
        int upper = IP_OFFSET + (little ? 4 : 0);
        int lower = IP_OFFSET + (little ? 0 : 4);
        out.add(SockFilter.stmt(ldw, upper));                         // 0: A = ip >> 32
        out.add(SockFilter.jump(jeq, (int) (start >>> 32), 0, 3));    // 1: other upper half -> 5
        out.add(SockFilter.stmt(ldw, lower));                         // 2: A = (u32) ip
        out.add(SockFilter.jump(jge, (int) start, 0, 1));             // 3: below start -> 5
        out.add(SockFilter.jump(jge, (int) end, 0, 1));               // 4: at or above end -> 5, else 6
        out.add(SockFilter.stmt(Bpf.BPF_JMP | Bpf.BPF_JA, inside.size())); // 5: outside
        out.addAll(inside.sockFilters());                             // 6..
        out.addAll(outside.sockFilters());
        if (out.size() > 4096) {
            throw new IllegalArgumentException("the split subprocess filter has " + out.size()
                    + " instructions, over BPF_MAXINSNS (4096, include/uapi/linux/bpf_common.h)");
        }
        return Program.of(out);
    }

    static Program compile(Policy insidePolicy, SyscallTable table, long start, long end) {
        return split(SeccompCompiler.compile(insidePolicy, table), SeccompCompiler.compile(outsidePolicy(table), table), start, end);
    }
}
