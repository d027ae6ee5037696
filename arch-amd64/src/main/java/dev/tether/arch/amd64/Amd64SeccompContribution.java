package dev.tether.arch.amd64;

import dev.tether.seccomp.Action;
import dev.tether.seccomp.Matcher;
import dev.tether.seccomp.Rule;
import dev.tether.seccomp.RuleSet;
import dev.tether.seccomp.SeccompContribution;
import dev.tether.seccomp.SyscallRule;
import dev.tether.spi.TetherArch;
import dev.tether.spi.support.ArchSeccompContribution;
import java.util.List;
import org.osgi.service.component.annotations.Component;

/**
 * gVisor's amd64 {@code appendArchSeccompRules}
 * (pkg/sentry/platform/ptrace/subprocess_amd64.go): the vsyscall TRAP set and, unless the
 * default action is ALLOW, the {@code arch_prctl(ARCH_SET_CPUID, 0)} ALLOW set.
 */
@Component(service = SeccompContribution.class)
@TetherArch(Amd64SyscallTable.ARCH)
public final class Amd64SeccompContribution extends ArchSeccompContribution {
    /** ARCH_SET_CPUID (arch/x86/include/uapi/asm/prctl.h). */
    static final int ARCH_SET_CPUID = 0x1012;

    /** Public no-arg constructor, for DS and {@link java.util.ServiceLoader}. */
    public Amd64SeccompContribution() {
        super(Amd64SyscallTable.ARCH);
    }

    @Override
    protected void appendArchRules(List<RuleSet> out, Action defaultAction) {
        // The three legacy vsyscall entry points. TRAP turns a call from the vsyscall page into a
        // SIGSYS that the platform rewrites into a SIGSEGV at the vsyscall address (gVisor's
        // patchSignalInfo, subprocess_amd64.go), so
        // the sentry can emulate it. Present in every mode, even when the default is ALLOW.
        out.add(new RuleSet(Action.TRAP, true, List.of(
                SyscallRule.any(Amd64Sysno.SYS_GETTIMEOFDAY),
                SyscallRule.any(Amd64Sysno.SYS_TIME),
                SyscallRule.any(Amd64Sysno.SYS_GETCPU))));
        // enableCpuidFault runs in the child after the filter is installed (subprocess_amd64.go), so
        // a filter that does not allow everything must allow exactly arch_prctl(ARCH_SET_CPUID, 0).
        if (!defaultAction.equals(Action.ALLOW)) {
            out.add(RuleSet.of(Action.ALLOW, SyscallRule.anyOf(Amd64Sysno.SYS_ARCH_PRCTL,
                    Rule.of(Matcher.eq(ARCH_SET_CPUID), Matcher.eq(0)))));
        }
    }
}
