package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.api.PlatformCounters;

import org.junit.jupiter.api.Test;

class PlatformMetricsTest {
    @Test
    void countersAndLatencyBuckets() throws Exception {
        PlatformMetrics m = new PlatformMetrics(new PlatformStatus());
        assertEquals(0, m.getInjectionP50Nanos(), "nothing recorded");
        for (int i = 0; i < 98; i++) {
            m.injected(1, 1, 39, 1, 1000); // bucket [512, 1024): upper bound 1024
        }
        m.injected(1, 1, 39, -22, 3000); // [2048, 4096)
        m.injected(1, 1, 39, -4096, 70_000); // [65536, 131072); -4096 is not an errno
        assertEquals(100, m.getInjections());
        assertEquals(1, m.getInjectionErrors());
        assertEquals(1024, m.getInjectionP50Nanos());
        assertEquals(4096, m.getInjectionP99Nanos());
        assertEquals(70_000, m.getInjectionMaxNanos());
        assertEquals((98 * 1000 + 3000 + 70_000) / 100, m.getInjectionMeanNanos());
        m.stubCreated(2, false, 10);
        m.stubCreated(3, true, 10);
        m.stubDied(2, 2, "killed by SIGSYS");
        m.failed("pre-fork", new IllegalStateException("boom"));
        assertEquals(1, m.getStubsCreated());
        assertEquals(1, m.getSubprocessesForked());
        assertEquals(1, m.getStubDeaths());
        assertEquals("pre-fork: java.lang.IllegalStateException: boom", m.getLastFailure());

        // the Java view (PlatformStats) reads the very same counters as the MBean
        PlatformCounters c = m.counters();
        assertEquals(new PlatformCounters(0, 1, 1, 100, 1, (98 * 1000 + 3000 + 70_000) / 100, 1024, 4096, 70_000,
                1, 0, 1, "pre-fork: java.lang.IllegalStateException: boom", ""), c);
        m.reset();
        assertEquals(0, m.getInjections());
        assertEquals(0, m.getInjectionMaxNanos());
        assertEquals(0, m.getInjectionP99Nanos());
        assertEquals("", m.getLastFailure());
        assertEquals(false, m.isPlatformActive());
        assertEquals(0, m.counters().injections());
    }

    @Test
    void theStatusServiceFeedsPlatformsCreatedAndTheProblem() throws Exception {
        PlatformStatus status = new PlatformStatus();
        PlatformMetrics m = new PlatformMetrics(status);
        status.started();
        status.started();
        assertEquals(2, m.counters().platformsCreated());
        assertEquals("", m.counters().problem());
        status.startFailed(new IllegalStateException("no arch"));
        assertEquals("the platform could not start: no arch", m.counters().problem());
        status.started();
        status.refused("fail-stop");
        assertEquals("teardown refused: fail-stop", m.getProblem());
        status.closed();
        assertEquals("", m.counters().problem());
        // the cause first: a refused value, then what it led to
        status.startFailed(new IllegalStateException("no arch"));
        status.configRefused(new RefusedValueException("tracerThreads", "0", "must be 1..64"), "running with the defaults");
        assertEquals("configuration refused: tracerThreads=0: must be 1..64; running with the defaults;"
                + " the platform could not start: no arch", m.getProblem());
        status.configAccepted();
        status.started();
        assertEquals("", m.getProblem());
    }

    @Test
    void countersRefuseNullStrings() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PlatformCounters(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, null, ""));
        assertTrue(e.getMessage().contains("lastFailure"), e.getMessage());
    }
}
