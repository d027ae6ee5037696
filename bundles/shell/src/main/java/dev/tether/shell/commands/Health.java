package dev.tether.shell.commands;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

/**
 * {@code tether:health}: runs the Felix Health Check services tagged {@value #TAG} (core's
 * PlatformHealthCheck: ptrace permitted, seccomp available, arch bundle present, platform
 * running) and prints each finding; a shell turns {@link Report#healthy()} {@code false} into a
 * failed command, so that {@code ssh}/{@code bin/client} scripts see a non-zero exit status.
 *
 * <p>The Health Check API is optional for this bundle (a dynamic import): the services are found by
 * class name first, and {@link HealthChecks}, which uses the API, is loaded only when there are some.
 */
public final class Health {
    /** The tag of Tether's checks (core's PlatformHealthCheck registers {@code hc.tags=tether}). */
    public static final String TAG = "tether";
    /** The Felix Health Check service interface (org.apache.felix.hc.api 2.x). */
    static final String HEALTH_CHECK = "org.apache.felix.hc.api.HealthCheck";
    /** Status when no check is registered: the API or core's check is missing. */
    public static final String MISSING = "MISSING";

    private Health() {
    }

    /** One finding of a check: its status (a Felix HC {@code Result.Status} name) and message. */
    public record Finding(String check, String status, String message) {
        public List<Object> cells() {
            return List.of(check, status, message);
        }
    }

    /**
     * What the checks found: the overall status (the worst of the checks', or {@value #MISSING}),
     * their findings, and whether that counts as healthy.
     */
    public record Report(String status, List<Finding> findings) {
        /**
         * OK and WARN pass, as Felix HC's own servlet maps them: both to HTTP 200, everything else to
         * 5xx (the default httpStatusMapping of HealthCheckExecutorServletConfiguration, Felix
         * healthcheck core, "OK:200,WARN:200,CRITICAL:503,TEMPORARILY_UNAVAILABLE:503,HEALTH_CHECK_ERROR:500").
         * A warning is printed, not failed.
         */
        public boolean healthy() {
            return status.equals("OK") || status.equals("WARN");
        }

        /** The one line a failed command ends with. */
        public String failure() {
            return "tether:health: " + status + (findings.isEmpty() ? ""
                    : ": " + findings.stream().filter(f -> !f.status().equals("OK") && !f.status().equals("WARN"))
                            .map(Finding::message).findFirst().orElse(""));
        }
    }

    /** Runs every check tagged {@value #TAG}. */
    public static Report run(TetherConsole console) {
        ServiceReference<?>[] refs;
        try {
            refs = console.context().getServiceReferences(HEALTH_CHECK, "(hc.tags=" + TAG + ")");
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        if (refs == null || refs.length == 0) {
            return new Report(MISSING, List.of(new Finding("-", MISSING, "no Felix health check tagged " + TAG
                    + " is registered: the Felix Health Check API (org.apache.felix.healthcheck.api) is not installed"
                    + " (Karaf: feature:install tether-health), or the core bundle is not active")));
        }
        List<Finding> findings = new ArrayList<>();
        Optional<String> worst = HealthChecks.run(console.context(), refs,
                (check, status, message) -> findings.add(new Finding(check, status, message)));
        if (worst.isEmpty()) {
            return new Report(MISSING, List.of(new Finding("-", MISSING,
                    "the health checks tagged " + TAG + " went away while they were run")));
        }
        return new Report(worst.get(), List.copyOf(findings));
    }

    /** Prints the report: the overall status, then one line per finding. */
    public static void print(Report r, PrintStream out) {
        out.println("Tether health: " + r.status());
        for (Finding f : r.findings()) {
            out.printf("  %-8s %s%n", f.status(), f.message());
        }
    }
}
