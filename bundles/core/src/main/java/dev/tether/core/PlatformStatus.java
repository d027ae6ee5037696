package dev.tether.core;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What the core bundle's components tell each other about the platform's life, for the health
 * check and the MBean: why the platform last failed to start or refused to go. Lives as long as
 * the bundle's class loader (a new bundle revision starts afresh).
 */
final class PlatformStatus {
    /** Why the last attempt to create a platform failed, or null after a success. */
    private static volatile String startFailure;
    /** Why the last teardown or replacement was refused (fail-stop), or null. */
    private static volatile String refusal;
    private static final AtomicLong CREATED = new AtomicLong();
    private static final AtomicLong CLOSED = new AtomicLong();

    private PlatformStatus() {
    }

    static void started() {
        startFailure = null;
        CREATED.incrementAndGet();
    }

    static void startFailed(Throwable why) {
        startFailure = String.valueOf(why.getMessage());
    }

    static void closed() {
        refusal = null;
        CLOSED.incrementAndGet();
    }

    static void refused(String why) {
        refusal = why;
    }

    static String startFailure() {
        return startFailure;
    }

    static String refusal() {
        return refusal;
    }

    /** Platforms created since the bundle started (one per arch bundle start or structural reconfiguration). */
    static long created() {
        return CREATED.get();
    }

    static long closedCount() {
        return CLOSED.get();
    }
}
