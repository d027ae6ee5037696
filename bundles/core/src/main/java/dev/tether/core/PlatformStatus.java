package dev.tether.core;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.osgi.service.component.annotations.Component;

/**
 * What the core bundle's components tell each other about the platform's life, for the health
 * check and the metrics: the platform that runs now, why a configuration was refused, why the
 * platform last failed to start or refused to go, and how many platforms were made. One instance
 * per active core bundle, a DS service of this bundle only ({@link StubPlatformComponent} writes
 * it; {@link PlatformMetrics} and {@link PlatformHealthCheck} read it through their references),
 * so a restarted bundle starts afresh and nothing lives in static fields.
 *
 * <p>It is also why the references run one way only: the metrics read the running platform here
 * instead of referencing the StubPlatform service, which the platform component registers from
 * inside its own DS activation and which references the metrics (as a PlatformListener). With a
 * reference each way, after a failed activation and a good configuration, the MBean went on
 * reporting no platform (PlatformActive=false, no arch) while one ran, and Felix SCR reported a
 * lock timeout (its ds.lock.timeout.milliseconds, 5 s by default) a few seconds later.
 *
 * <p>Immediate: it must exist before the platform component's first activation and keep its
 * counts while consumers come and go.
 */
@Component(service = PlatformStatus.class, immediate = true)
public final class PlatformStatus {
    /** Why the last attempt to create a platform failed, or null after a success. */
    private volatile String startFailure;
    /** Why the last teardown was refused (fail-stop), or null. */
    private volatile String refusal;
    /** The refused configuration value and what runs instead ("key=value: reason; running with ..."), or null. */
    private volatile String configRefusal;
    /** The platform behind the StubPlatform service now, or null. */
    private volatile StubPlatformImpl running;
    private final AtomicLong created = new AtomicLong();

    /** For DS, and for tests outside OSGi. */
    public PlatformStatus() {
    }

    /**
     * Chooses where JNA unpacks its native library ({@link JnaPlace}) before any native call of
     * this bundle: every component of core that makes one (the platform, the health check)
     * references this one, so DS activates this first.
     */
    @org.osgi.service.component.annotations.Activate
    void activate(org.osgi.framework.BundleContext context) {
        JnaPlace.ensure(context);
    }

    void started() {
        startFailure = null;
        created.incrementAndGet();
    }

    void startFailed(Throwable why) {
        startFailure = String.valueOf(why.getMessage());
    }

    void closed() {
        refusal = null;
    }

    void refused(String why) {
        refusal = why;
    }

    /** A configuration value was refused; {@code runningWith} says what runs instead. */
    void configRefused(RefusedValueException why, String runningWith) {
        configRefusal = why.getMessage() + "; " + runningWith;
    }

    /** The configuration in force is the one configured. */
    void configAccepted() {
        configRefusal = null;
    }

    /** The platform behind the service now (null: none). */
    void running(StubPlatformImpl platform) {
        running = platform;
    }

    StubPlatformImpl running() {
        return running;
    }

    String startFailure() {
        return startFailure;
    }

    String refusal() {
        return refusal;
    }

    String configRefusal() {
        return configRefusal;
    }

    /**
     * What is wrong, the cause first: a refused configuration (it may be why nothing else
     * works), then why the platform could not start, then a refused teardown; empty when nothing.
     */
    String problem() {
        List<String> parts = new ArrayList<>();
        String config = configRefusal;
        if (config != null) {
            parts.add("configuration refused: " + config);
        }
        String start = startFailure;
        if (start != null) {
            parts.add("the platform could not start: " + start);
        }
        String teardown = refusal;
        if (teardown != null) {
            parts.add("teardown refused: " + teardown);
        }
        return String.join("; ", parts);
    }

    /** Platforms created since the bundle started (one per arch bundle start or structural reconfiguration). */
    long created() {
        return created.get();
    }
}
