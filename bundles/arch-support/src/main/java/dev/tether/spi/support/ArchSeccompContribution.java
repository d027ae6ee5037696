package dev.tether.spi.support;

import dev.tether.seccomp.Action;
import dev.tether.seccomp.RuleSet;
import dev.tether.seccomp.SeccompContribution;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The frame of gVisor's {@code appendArchSeccompRules(rules, defaultAction)}
 * ({@code subprocess_<arch>.go}): checks
 * the arguments, copies the rules, lets the arch add its rule sets, and returns an unmodifiable
 * list; the input list is never modified. A subclass implements only
 * {@link #appendArchRules(List, Action)}.
 */
@org.osgi.annotation.versioning.ConsumerType
public abstract class ArchSeccompContribution implements SeccompContribution {
    private final String arch;

    /** @param arch Tether's name of the architecture */
    protected ArchSeccompContribution(String arch) {
        this.arch = Objects.requireNonNull(arch, "arch");
    }

    @Override
    public final String arch() {
        return arch;
    }

    @Override
    public final List<RuleSet> append(List<RuleSet> rules, Action defaultAction) {
        Objects.requireNonNull(rules, "rules");
        Objects.requireNonNull(defaultAction, "defaultAction");
        List<RuleSet> out = new ArrayList<>(rules);
        appendArchRules(out, defaultAction);
        return List.copyOf(out);
    }

    /**
     * Adds this arch's rule sets for {@code defaultAction} to {@code out}, which already holds the
     * caller's rules (a modifiable copy).
     */
    protected abstract void appendArchRules(List<RuleSet> out, Action defaultAction);
}
