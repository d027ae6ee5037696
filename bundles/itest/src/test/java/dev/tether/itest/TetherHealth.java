package dev.tether.itest;

import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Runs the health check tagged tether. A class of its own, so that a test class that calls it
 * can be loaded before the Health Check API is installed (KarafFeatureTest installs it with the
 * feature; the probe imports it dynamically).
 */
final class TetherHealth {
    private TetherHealth() {
    }

    /** {@code "<status> <result>"} of the HealthCheck service with hc.tags=tether, waiting up to {@code timeoutMs} for it. */
    static String run(BundleContext context, long timeoutMs) throws InterruptedException, InvalidSyntaxException {
        ServiceTracker<HealthCheck, HealthCheck> t = new ServiceTracker<>(context,
                context.createFilter("(&(objectClass=" + HealthCheck.class.getName() + ")(hc.tags=tether))"), null);
        t.open();
        try {
            HealthCheck check = t.waitForService(timeoutMs);
            if (check == null) {
                return "MISSING no HealthCheck service tagged tether";
            }
            Result r = check.execute();
            return r.getStatus() + " " + r;
        } finally {
            t.close();
        }
    }
}
