package dev.tether.core;

import java.util.concurrent.atomic.AtomicLong;
import org.osgi.service.component.annotations.Component;

/**
 * What the core bundle's components tell each other about the platform's life, for the health
 * check and the metrics: why the platform last failed to start or refused to go, and how many
 * platforms were made. One instance per active core bundle, a DS service of this
 * bundle only ({@link StubPlatformComponent} writes it; {@link PlatformMetrics} and
 * {@link PlatformHealthCheck} read it through their references), so a restarted bundle starts
 * afresh and nothing lives in static fields.
 *
 * <p>Immediate: it must exist before the platform component's first activation and keep its
 * counts while consumers come and go.
 */
@Component(service = PlatformStatus.class, immediate = true)
public final class PlatformStatus {
    /** Why the last attempt to create a platform failed, or null after a success. */
    private volatile String startFailure;
    /** Why the last teardown or replacement was refused (fail-stop), or null. */
    private volatile String refusal;
    private final AtomicLong created = new AtomicLong();

    /** For DS, and for tests outside OSGi. */
    public PlatformStatus() {
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

    String startFailure() {
        return startFailure;
    }

    String refusal() {
        return refusal;
    }

    /** Platforms created since the bundle started (one per arch bundle start or structural reconfiguration). */
    long created() {
        return created.get();
    }
}
