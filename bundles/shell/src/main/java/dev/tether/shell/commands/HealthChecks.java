package dev.tether.shell.commands;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Optional;
import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.apache.felix.hc.api.ResultLog;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/** The part of {@code tether:health} that uses the Felix Health Check API: loaded only when checks are registered. */
final class HealthChecks {
    private HealthChecks() {
    }

    /** Where the checks' findings go, in the order they are found. */
    interface Findings {
        void add(String check, String status, String message);
    }

    /**
     * Runs the checks of {@code refs}, in the order of their names, and hands each non-debug entry
     * of their results to {@code findings}.
     *
     * @return the worst status of the checks that ran (a {@code Result.Status} name), or empty if
     *     none ran (they went away meanwhile)
     */
    static Optional<String> run(BundleContext context, ServiceReference<?>[] refs, Findings findings) {
        Arrays.sort(refs, Comparator.comparing(r -> String.valueOf(r.getProperty(HealthCheck.NAME))));
        Result.Status worst = Result.Status.OK;
        int ran = 0;
        for (ServiceReference<?> ref : refs) {
            String name = String.valueOf(ref.getProperty(HealthCheck.NAME));
            Object service = context.getService(ref);
            if (service == null) {
                continue; // unregistered meanwhile
            }
            ran++;
            try {
                Result result;
                try {
                    result = ((HealthCheck) service).execute();
                } catch (RuntimeException e) {
                    result = new Result(Result.Status.HEALTH_CHECK_ERROR, name + " failed: " + e, e);
                }
                // Status is ordered from OK to HEALTH_CHECK_ERROR (its declaration order)
                if (result.getStatus().compareTo(worst) > 0) {
                    worst = result.getStatus();
                }
                for (ResultLog.Entry e : result) {
                    if (!e.isDebug()) {
                        findings.add(name, e.getStatus().name(), e.getMessage());
                    }
                }
            } finally {
                context.ungetService(ref);
            }
        }
        return ran == 0 ? Optional.empty() : Optional.of(worst.name());
    }
}
