package dev.tether.arch.arm64;

import dev.tether.seccomp.Action;
import dev.tether.seccomp.RuleSet;
import dev.tether.seccomp.SeccompContribution;
import dev.tether.spi.TetherArch;
import dev.tether.spi.support.ArchSeccompContribution;
import java.util.List;
import org.osgi.service.component.annotations.Component;

/**
 * gVisor's arm64 {@code appendArchSeccompRules} (subprocess_arm64.go): nothing to add. arm64 has no
 * vsyscall page and no {@code arch_prctl}, so the rules come back unchanged.
 */
@Component(service = SeccompContribution.class)
@TetherArch(Arm64SyscallTable.ARCH)
public final class Arm64SeccompContribution extends ArchSeccompContribution {
    /** Public no-arg constructor, for DS and {@link java.util.ServiceLoader}. */
    public Arm64SeccompContribution() {
        super(Arm64SyscallTable.ARCH);
    }

    @Override
    protected void appendArchRules(List<RuleSet> out, Action defaultAction) {
        // Nothing: no vsyscall page to trap, no ARCH_SET_CPUID to allow.
    }
}
