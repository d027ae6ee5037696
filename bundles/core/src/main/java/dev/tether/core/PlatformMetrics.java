package dev.tether.core;

import dev.tether.api.FailStopOrphans;
import dev.tether.api.PlatformCounters;
import dev.tether.api.PlatformFacts;
import dev.tether.api.PlatformStats;
import dev.tether.api.StubPlatform;
import dev.tether.api.TetherException;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAccumulator;
import java.util.concurrent.atomic.LongAdder;
import javax.management.DynamicMBean;
import javax.management.NotCompliantMBeanException;
import javax.management.StandardMBean;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The platform's counters as one MBean, {@value #OBJECT_NAME}, registered JMX-whiteboard style:
 * a service (objectClass {@link DynamicMBean}, so any bundle can see it) with the property
 * {@code jmx.objectname}, which Karaf's Aries JMX Whiteboard registers with the platform
 * MBeanServer. It observes the platform as a {@link PlatformListener}, so the counters outlive
 * platforms: they add up across arch bundle swaps and reconfigurations. Java callers (the console)
 * read the same numbers through the {@link PlatformStats} service, not by attribute name.
 */
@Component(service = {DynamicMBean.class, PlatformStats.class, PlatformListener.class}, immediate = true,
        property = "jmx.objectname=" + PlatformMetrics.OBJECT_NAME)
public final class PlatformMetrics extends StandardMBean implements PlatformMetricsMBean, PlatformStats, PlatformListener {
    public static final String OBJECT_NAME = "dev.tether:type=Platform";
    /** Bucket b holds latencies in [2^(b-1), 2^b) ns; 64 buckets cover every long. */
    private static final int BUCKETS = 64;

    /**
     * The running platform, platforms created, and why the last one failed or stayed (written by
     * StubPlatformComponent). The only reference: the platform component references this
     * component (a PlatformListener), so a reference back to the StubPlatform service would make
     * a cycle (see PlatformStatus).
     */
    @Reference
    private PlatformStatus status;

    private final LongAdder stubsCreated = new LongAdder();
    private final LongAdder forked = new LongAdder();
    private final LongAdder injections = new LongAdder();
    private final LongAdder injectionErrors = new LongAdder();
    private final LongAdder deaths = new LongAdder();
    private final LongAdder failures = new LongAdder();
    private final LongAdder masterRestarts = new LongAdder();
    private final LongAdder latencyTotal = new LongAdder();
    private final LongAccumulator latencyMax = new LongAccumulator(Math::max, 0);
    private final AtomicLongArray buckets = new AtomicLongArray(BUCKETS);
    private final AtomicReference<String> lastFailure = new AtomicReference<>("");

    /** For DS, which injects the references into the fields. */
    public PlatformMetrics() throws NotCompliantMBeanException {
        super(PlatformMetricsMBean.class);
    }

    /** Outside OSGi (tests): the status given directly. */
    PlatformMetrics(PlatformStatus status) throws NotCompliantMBeanException {
        this();
        this.status = status;
    }

    // ---------------------------------------------------------------- PlatformListener (hot path: no locks)

    @Override
    public void stubCreated(int pid, boolean fork, long nanos) {
        (fork ? forked : stubsCreated).increment();
    }

    @Override
    public void injected(int pid, int tid, long sysno, long result, long nanos) {
        injections.increment();
        // -4095..-1 is an errno (the kernel's MAX_ERRNO, include/linux/err.h)
        if (result < 0 && result >= -4095) {
            injectionErrors.increment();
        }
        long n = Math.max(0, nanos);
        latencyTotal.add(n);
        latencyMax.accumulate(n);
        buckets.incrementAndGet(Math.min(BUCKETS - 1, 64 - Long.numberOfLeadingZeros(n)));
    }

    @Override
    public void stubDied(int pid, int tid, String why) {
        deaths.increment();
    }

    @Override
    public void masterRestarted(int oldPid, int newPid, String why) {
        masterRestarts.increment();
        lastFailure.set("master stub " + oldPid + " died (" + why + "); replaced by " + newPid);
    }

    @Override
    public void failed(String operation, Throwable error) {
        failures.increment();
        lastFailure.set(operation + ": " + error);
    }

    // ---------------------------------------------------------------- PlatformStats

    @Override
    public PlatformCounters counters() {
        return new PlatformCounters(getPlatformsCreated(), getStubsCreated(), getSubprocessesForked(), getInjections(),
                getInjectionErrors(), getInjectionMeanNanos(), getInjectionP50Nanos(), getInjectionP99Nanos(),
                getInjectionMaxNanos(), getStubDeaths(), getMasterRestarts(), getFailures(), getLastFailure(),
                getProblem());
    }

    @Override
    public FailStopOrphans orphans() {
        return OrphanRegistry.alive();
    }

    // ---------------------------------------------------------------- MBean

    @Override
    public long getStubsCreated() {
        return stubsCreated.sum();
    }

    @Override
    public long getSubprocessesForked() {
        return forked.sum();
    }

    @Override
    public long getInjections() {
        return injections.sum();
    }

    @Override
    public long getInjectionErrors() {
        return injectionErrors.sum();
    }

    @Override
    public long getStubDeaths() {
        return deaths.sum();
    }

    @Override
    public long getMasterRestarts() {
        return masterRestarts.sum();
    }

    @Override
    public long getFailures() {
        return failures.sum();
    }

    @Override
    public String getLastFailure() {
        return lastFailure.get();
    }

    @Override
    public long getInjectionMeanNanos() {
        long n = injections.sum();
        return n == 0 ? 0 : latencyTotal.sum() / n;
    }

    @Override
    public long getInjectionP50Nanos() {
        return percentile(0.50);
    }

    @Override
    public long getInjectionP99Nanos() {
        return percentile(0.99);
    }

    @Override
    public long getInjectionMaxNanos() {
        return latencyMax.get();
    }

    /** The upper bound of the bucket holding the {@code q} quantile, 0 when nothing was recorded. */
    long percentile(double q) {
        long[] counts = new long[BUCKETS];
        long total = 0;
        for (int b = 0; b < BUCKETS; b++) {
            counts[b] = buckets.get(b);
            total += counts[b];
        }
        if (total == 0) {
            return 0;
        }
        long rank = (long) Math.ceil(q * total);
        long seen = 0;
        for (int b = 0; b < BUCKETS; b++) {
            seen += counts[b];
            if (seen >= rank) {
                return b >= 63 ? Long.MAX_VALUE : 1L << b;
            }
        }
        return Long.MAX_VALUE;
    }

    @Override
    public long getPlatformsCreated() {
        return status.created();
    }

    @Override
    public boolean isPlatformActive() {
        return facts() != null;
    }

    @Override
    public String getArch() {
        PlatformFacts f = facts();
        return f == null ? "" : f.arch();
    }

    @Override
    public String getFailureMode() {
        PlatformFacts f = facts();
        return f == null ? "" : f.failureMode().toString();
    }

    @Override
    public int getLiveStubs() {
        StubPlatform p = status.running();
        try {
            return p == null ? 0 : p.stubs().size();
        } catch (TetherException e) {
            return 0; // closed between the read and the call
        }
    }

    @Override
    public int getLiveSubprocesses() {
        StubPlatform p = status.running();
        try {
            return p == null ? 0 : p.subprocesses().size();
        } catch (TetherException e) {
            return 0;
        }
    }

    @Override
    public String getFailStopOrphans() {
        return OrphanRegistry.alive().describe();
    }

    @Override
    public String getProblem() {
        return status.problem();
    }

    @Override
    public void reset() {
        for (LongAdder a : new LongAdder[] {stubsCreated, forked, injections, injectionErrors, deaths, failures, masterRestarts, latencyTotal}) {
            a.reset();
        }
        latencyMax.reset();
        for (int b = 0; b < BUCKETS; b++) {
            buckets.set(b, 0);
        }
        lastFailure.set("");
    }

    private PlatformFacts facts() {
        StubPlatform p = status.running();
        try {
            return p == null ? null : p.facts();
        } catch (TetherException e) {
            return null;
        }
    }
}
