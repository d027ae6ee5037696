package dev.tether.seccomp;

import java.util.List;

/**
 * An architecture's additions to the stub's seccomp policy: gVisor's
 * {@code appendArchSeccompRules(rules, defaultAction)}. Implemented by the arch bundles and
 * registered as an OSGi service with the property {@code tether.arch}.
 */
@org.osgi.annotation.versioning.ConsumerType
public interface SeccompContribution {
    /** Tether's name of the architecture. */
    String arch();

    /**
     * {@code rules} followed by this architecture's rule sets for the given default action. The
     * input list is not modified.
     */
    List<RuleSet> append(List<RuleSet> rules, Action defaultAction);
}
