package dev.tether.shell.commands;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.apache.felix.hc.api.ResultLog;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;

/** The part of {@link Health} that uses the Felix Health Check API: loaded only when checks are registered. */
final class HealthChecks {
    private HealthChecks() {
    }

    static Health.Report run(BundleContext context, ServiceReference<?>[] refs) {
        Arrays.sort(refs, Comparator.comparing(r -> String.valueOf(r.getProperty(HealthCheck.NAME))));
        Result.Status worst = Result.Status.OK;
        List<Health.Finding> findings = new ArrayList<>();
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
                        findings.add(new Health.Finding(name, e.getStatus().name(), e.getMessage()));
                    }
                }
            } finally {
                context.ungetService(ref);
            }
        }
        if (ran == 0) {
            return new Health.Report(Health.MISSING, List.of(new Health.Finding("-", Health.MISSING,
                    "the health checks tagged " + Health.TAG + " went away while they were run")));
        }
        return new Health.Report(worst.name(), List.copyOf(findings));
    }
}
