package dev.tether.api;

/**
 * The platform's counters as a Java service: what the core bundle counted since it started (or
 * since {@link #reset()}), across every platform it made (arch bundle swaps and reconfigurations
 * add up). The same numbers are the attributes of the MBean {@code dev.tether:type=Platform}, for
 * JMX tools; Java callers (the console) read them here, typed, instead of by attribute name.
 *
 * <p>Registered by the core bundle for as long as it is active, whether or not a
 * {@link StubPlatform} is.
 */
@org.osgi.annotation.versioning.ProviderType
public interface PlatformStats {

    /** A consistent-enough snapshot of the counters (each read once, without a lock). */
    PlatformCounters counters();

    /**
     * The stubs and tracer threads that earlier fail-stop platforms left in this JVM (they end
     * with it), alive now; {@link FailStopOrphans#NONE} when there are none.
     */
    default FailStopOrphans orphans() {
        return FailStopOrphans.NONE;
    }

    /** Sets every counter and the latency summary back to zero. */
    void reset();
}
