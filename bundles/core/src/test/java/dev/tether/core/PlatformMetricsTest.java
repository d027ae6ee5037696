package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class PlatformMetricsTest {
    @Test
    void countersAndLatencyBuckets() throws Exception {
        PlatformMetrics m = new PlatformMetrics();
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
        m.reset();
        assertEquals(0, m.getInjections());
        assertEquals(0, m.getInjectionMaxNanos());
        assertEquals(0, m.getInjectionP99Nanos());
        assertEquals("", m.getLastFailure());
        assertEquals(false, m.isPlatformActive());
    }
}
