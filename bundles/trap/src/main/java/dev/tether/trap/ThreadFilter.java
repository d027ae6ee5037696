package dev.tether.trap;

import dev.tether.bpf.Program;
import dev.tether.seccomp.Action;
import dev.tether.seccomp.Matcher;
import dev.tether.seccomp.Policy;
import dev.tether.seccomp.Rule;
import dev.tether.seccomp.RuleSet;
import dev.tether.seccomp.SeccompCompiler;
import dev.tether.seccomp.SyscallRule;
import dev.tether.seccomp.SyscallTable;
import dev.tether.spi.TrapArch;
import java.util.ArrayList;
import java.util.List;

/**
 * The guest thread's own filter (docs/trap.md, section 6; gVisor's {@code sysmsgThreadRules} in
 * {@code pkg/sentry/platform/systrap/sysmsg_thread.go}): everything is trapped, except the handler's
 * own calls made from at or above the code page, with their arguments pinned.
 */
final class ThreadFilter {
    /** futex(2) operations, include/uapi/linux/futex.h. */
    static final long FUTEX_WAIT = 0;
    static final long FUTEX_WAKE = 1;

    private ThreadFilter() {
    }

    static Policy policy(SyscallTable table, TrapArch arch, long codeStart) {
        Matcher ip = Matcher.ge(codeStart);
        List<SyscallRule> allowed = new ArrayList<>();
        // futex(addr, FUTEX_WAKE, 1, 0, 0, 0) and futex(addr, FUTEX_WAIT, any, NULL, 0, 0)
        allowed.add(SyscallRule.anyOf(table.require("futex"),
                Rule.of(Matcher.any(), Matcher.eq(FUTEX_WAKE), Matcher.eq(1), Matcher.eq(0), Matcher.eq(0), Matcher.eq(0)).withIp(ip),
                Rule.of(Matcher.any(), Matcher.eq(FUTEX_WAIT), Matcher.any(), Matcher.eq(0), Matcher.eq(0), Matcher.eq(0)).withIp(ip)));
        allowed.add(SyscallRule.anyOf(table.require("rt_sigreturn"), Rule.of().withIp(ip)));
        allowed.addAll(arch.handlerRules(ip));
        return new Policy(Action.TRAP, Action.TRAP, List.of(new RuleSet(Action.ALLOW, false, allowed)));
    }

    static Program compile(SyscallTable table, TrapArch arch, long codeStart) {
        return SeccompCompiler.compile(policy(table, arch, codeStart), table);
    }
}
