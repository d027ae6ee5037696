package dev.tether.arch.arm64;

import dev.tether.seccomp.Action;
import dev.tether.seccomp.RuleSet;
import dev.tether.seccomp.SeccompContribution;
import dev.tether.spi.ArchService;
import java.util.List;
import java.util.Objects;
import org.osgi.service.component.annotations.Component;

/**
 * gVisor's arm64 {@code appendArchSeccompRules} (spec §6.1): nothing to add. arm64 has no
 * vsyscall page and no {@code arch_prctl}, so the rules come back unchanged.
 */
@Component(property = ArchService.ARCH_PROPERTY + "=" + Arm64SyscallTable.ARCH)
public final class Arm64SeccompContribution implements SeccompContribution {
    /** Public no-arg constructor, for DS and {@link java.util.ServiceLoader}. */
    public Arm64SeccompContribution() {
    }

    @Override
    public String arch() {
        return Arm64SyscallTable.ARCH;
    }

    @Override
    public List<RuleSet> append(List<RuleSet> rules, Action defaultAction) {
        Objects.requireNonNull(rules, "rules");
        Objects.requireNonNull(defaultAction, "defaultAction");
        return List.copyOf(rules);
    }
}
