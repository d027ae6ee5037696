package dev.tether.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import dev.tether.abi.Clone;
import dev.tether.api.HostArch;
import dev.tether.api.PlatformCounters;
import dev.tether.api.PlatformStats;
import dev.tether.api.Stub;
import dev.tether.api.StubDiedException;
import dev.tether.api.StubPlatform;
import dev.tether.api.Subprocess;
import dev.tether.seccomp.Action;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import javax.management.DynamicMBean;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.apache.felix.hc.api.ResultLog;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;

/**
 * The platform's counters as the MBean dev.tether:type=Platform (a JMX whiteboard service) and its
 * Felix health check (tag tether): both follow real work, and the health check follows the arch
 * bundle.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ObservabilityTest extends TetherTestSupport {
    static final String OBJECT_NAME = "dev.tether:type=Platform";

    @Test
    public void theMBeanCountsTheWork() throws Exception {
        ServiceReference<?> ref = awaitService(DynamicMBean.class, "(jmx.objectname=" + OBJECT_NAME + ")");
        assertNotNull("an MBean service with jmx.objectname=" + OBJECT_NAME, ref);
        DynamicMBean mbean = (DynamicMBean) context.getService(ref);
        StubPlatform platform = (StubPlatform) context.getService(awaitService(StubPlatform.class, null));
        mbean.invoke("reset", new Object[0], new String[0]);
        assertEquals(0L, mbean.getAttribute("Injections"));

        try (Stub stub = platform.createStub()) {
            for (int i = 0; i < 10; i++) {
                stub.syscall("getpid");
            }
            stub.syscall("munmap", 1, 4096); // EINVAL: counted as an injection error, not a failure
        }
        Subprocess sub = platform.newSubprocess();
        try {
            sub.syscall("getpid");
        } finally {
            sub.destroy();
        }
        Stub doomed = platform.attachedThread(Clone.CLONE_FILES, Action.KILL_THREAD);
        assertThrows(StubDiedException.class, () -> doomed.syscall("getuid"));
        doomed.close();

        assertEquals("10 getpid + 1 munmap into the stub, 1 getpid into the subprocess", 12L, mbean.getAttribute("Injections"));
        assertEquals(1L, mbean.getAttribute("InjectionErrors"));
        assertTrue("stubs created: " + mbean.getAttribute("StubsCreated"), (Long) mbean.getAttribute("StubsCreated") >= 2);
        assertTrue("subprocesses forked", (Long) mbean.getAttribute("SubprocessesForked") >= 1);
        assertEquals("the stub killed by seccomp", 1L, mbean.getAttribute("StubDeaths"));
        long p50 = (Long) mbean.getAttribute("InjectionP50Nanos");
        long p99 = (Long) mbean.getAttribute("InjectionP99Nanos");
        long max = (Long) mbean.getAttribute("InjectionMaxNanos");
        long mean = (Long) mbean.getAttribute("InjectionMeanNanos");
        assertTrue("latency summary: p50 " + p50 + " <= p99 " + p99, 0 < p50 && p50 <= p99);
        assertTrue("max " + max + " within p99's bucket " + p99, max < p99 && max >= p99 / 2);
        assertTrue("mean " + mean + " <= max " + max, 0 < mean && mean <= max);
        assertEquals(Boolean.TRUE, mbean.getAttribute("PlatformActive"));
        // the Java API the console reads: the same counters, typed
        PlatformCounters counters = ((PlatformStats) context.getService(awaitService(PlatformStats.class, null))).counters();
        assertEquals(mbean.getAttribute("Injections"), counters.injections());
        assertEquals(mbean.getAttribute("InjectionErrors"), counters.injectionErrors());
        assertEquals(mbean.getAttribute("StubDeaths"), counters.stubDeaths());
        assertEquals(mbean.getAttribute("PlatformsCreated"), counters.platformsCreated());
        assertEquals(HostArch.current().archName(), mbean.getAttribute("Arch"));
        assertEquals("CONTAINED", mbean.getAttribute("FailureMode"));
        assertEquals("", mbean.getAttribute("Problem"));

        // what a JMX whiteboard does with it (Aries in Karaf): the MBeanServer accepts it under its name
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName name = new ObjectName(OBJECT_NAME);
        server.registerMBean(mbean, name);
        try {
            assertEquals(12L, server.getAttribute(name, "Injections"));
        } finally {
            server.unregisterMBean(name);
        }
        context.ungetService(ref);
    }

    @Test
    public void theHealthCheckFollowsTheArchBundle() throws Exception {
        Result ok = healthCheck();
        assertEquals(ok.toString(), "OK", ok.getStatus().toString());
        List<String> messages = messages(healthCheck());
        assertTrue(messages.toString(), messages.stream().anyMatch(m -> m.startsWith("ptrace: attach works")));
        assertTrue(messages.toString(), messages.stream().anyMatch(m -> m.startsWith("seccomp: filter mode available")));
        assertTrue(messages.toString(), messages.stream().anyMatch(m -> m.startsWith("arch: " + HostArch.current().archName()
                + " services registered")));

        Bundle arch = bundle(HostArch.current().bundleSymbolicName());
        arch.stop();
        Result without = healthCheck();
        assertEquals("CRITICAL", without.getStatus().toString());
        assertTrue(messages(without).toString(), messages(without).stream().anyMatch(m -> m.contains("no arch bundle for this host is active")));
        assertFalse("no attach verified without a platform", messages(without).stream().anyMatch(m -> m.startsWith("ptrace: attach works")));
        arch.start();
        assertNotNull(awaitService(StubPlatform.class, null));
        assertEquals("OK", healthCheck().getStatus().toString());
    }

    private Result healthCheck() throws InterruptedException {
        ServiceReference<?> ref = awaitService(HealthCheck.class, "(hc.tags=tether)");
        assertNotNull("a HealthCheck service tagged tether", ref);
        assertEquals("Tether platform", ref.getProperty(HealthCheck.NAME));
        HealthCheck check = (HealthCheck) context.getService(ref);
        try {
            return check.execute();
        } finally {
            context.ungetService(ref);
        }
    }

    private static List<String> messages(Result r) {
        List<String> out = new ArrayList<>();
        for (ResultLog.Entry e : r) {
            out.add(e.getMessage());
        }
        return out;
    }
}
