package dev.tether.itest;

import static dev.tether.itest.InContainer.await;
import static dev.tether.itest.InContainer.configure;
import static dev.tether.itest.InContainer.unconfigure;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import dev.tether.api.FailureMode;
import dev.tether.api.HostArch;
import dev.tether.api.PlatformStats;
import dev.tether.api.StubPlatform;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.inject.Inject;
import javax.management.DynamicMBean;
import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.apache.felix.hc.api.ResultLog;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.log.LogEntry;
import org.osgi.service.log.LogLevel;
import org.osgi.service.log.LogListener;
import org.osgi.service.log.LogReaderService;

/**
 * A refused configuration value, as Config Admin keeps it: while the old platform runs and after
 * a restart of the core bundle, the status says why first ("configuration refused: key=value:
 * reason; running with ..."), the log has one line per refusal, without a stack trace; a later
 * good value brings the platform, the MBean and the health check back to the truth (no restart).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ConfigRefusalTest extends TetherTestSupport {
    static final long TIMEOUT_MS = 10_000;

    @Inject
    private ConfigurationAdmin configAdmin;
    @Inject
    private LogReaderService logReader;
    @Inject
    private org.apache.felix.service.command.CommandProcessor processor;

    private final List<LogEntry> log = new CopyOnWriteArrayList<>();
    private final LogListener listener = log::add;

    @Before
    public void listen() {
        logReader.addLogListener(listener);
    }

    @After
    public void backToDefaults() throws Exception {
        logReader.removeLogListener(listener);
        unconfigure(configAdmin);
        await("the defaults", TIMEOUT_MS, () -> {
            Map<String, Object> p = properties();
            return !p.containsKey("service.pid") && "CONTAINED".equals(p.get("failureMode")) && problem().isEmpty();
        }, () -> properties() + " / " + problem());
    }

    @Test
    public void aRefusedValueIsTheFirstThingSaidThenAGoodOneBringsTheTruthBack() throws Exception {
        assertNotNull(awaitService(StubPlatform.class, null));
        configure(configAdmin, "failureMode", "bogus");
        await("the refusal in the status", TIMEOUT_MS, () -> problem().startsWith("configuration refused: failureMode=bogus: "),
                this::problem);
        assertTrue(problem(), problem().contains("; running with failureMode=contained"));
        // LogListeners hear of entries asynchronously: wait for the one, then make sure it stays one
        await("the refusal in the log", TIMEOUT_MS, () -> refusals("failureMode=bogus") >= 1, this::messages);
        Thread.sleep(200);
        assertEquals(messages(), 1, refusals("failureMode=bogus"));
        assertEquals("no stack trace for a typo: " + messages(), 0, traces());
        assertEquals("the platform runs on", Boolean.TRUE, mbean().getAttribute("PlatformActive"));
        List<String> health = health();
        assertTrue("the health check says the reason first: " + health,
                health.get(0).startsWith("configuration refused: failureMode=bogus: "));
        String info = InContainer.gogo(processor, "tether:info").text();
        assertTrue("tether:info says the reason first: " + info,
                info.startsWith("Problem: configuration refused: failureMode=bogus: "));

        // the spelling tether:info prints, case-insensitively
        configure(configAdmin, "failureMode", "Fail-Stop");
        await("fail-stop", TIMEOUT_MS, () -> "FAIL_STOP".equals(properties().get("failureMode")), () -> "" + properties());
        assertEquals("", problem());
        assertTrue(messages(), platform().facts().failureMode() == FailureMode.FAIL_STOP);
        assertMBeanTellsTheTruth();
    }

    @Test
    public void afterARestartWithABadValueTheDefaultsRunAndSaySoThenAGoodValueIsTakenLive() throws Exception {
        assertNotNull(awaitService(StubPlatform.class, null));
        configure(configAdmin, "tracerThreads", 0);
        await("the refusal in the status", TIMEOUT_MS, () -> problem().startsWith("configuration refused: tracerThreads=0"),
                this::problem);
        Bundle core = bundle("dev.tether.core");
        core.stop();
        log.clear();
        core.start();
        assertNotNull("the platform starts with the defaults", awaitService(StubPlatform.class, null));
        await("the refusal in the status", TIMEOUT_MS, () -> problem().startsWith("configuration refused: tracerThreads=0: "),
                this::problem);
        assertTrue(problem(), problem().contains("; running with the defaults"));
        assertEquals("the service carries what runs", 2, properties().get("tracerThreads"));
        await("one log line", TIMEOUT_MS, () -> refusals("tracerThreads=0") == 1, this::messages);
        assertEquals("no stack trace for a typo: " + messages(), 0, traces());

        configure(configAdmin, "tracerThreads", 3);
        await("3 tracer threads", TIMEOUT_MS, () -> Integer.valueOf(3).equals(properties().get("tracerThreads")), () -> "" + properties());
        assertEquals(3, platform().facts().tracerThreads());
        assertEquals("", problem());
        assertMBeanTellsTheTruth();
        String info = InContainer.gogo(processor, "tether:info").text();
        assertTrue(info, info.startsWith("Tether stub platform"));
        assertTrue(info, info.matches("(?s).*fail-stop orphans\\s+none\n.*"));
    }

    private void assertMBeanTellsTheTruth() throws Exception {
        DynamicMBean m = mbean();
        // the MBean reads the platform's state without waiting on the platform component (no reference cycle)
        await("PlatformActive", TIMEOUT_MS, () -> {
            try {
                return Boolean.TRUE.equals(m.getAttribute("PlatformActive"));
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }, this::messages);
        assertEquals(HostArch.current().archName(), m.getAttribute("Arch"));
        assertEquals("", m.getAttribute("Problem"));
        assertTrue("no SCR lock timeout: " + messages(), log.stream().noneMatch(e -> e.getMessage().contains("imeout")));
    }

    // ---------------------------------------------------------------- helpers

    private StubPlatform platform() throws InterruptedException {
        return (StubPlatform) context.getService(awaitService(StubPlatform.class, null));
    }

    private DynamicMBean mbean() throws InterruptedException {
        return (DynamicMBean) context.getService(awaitService(DynamicMBean.class, "(jmx.objectname=dev.tether:type=Platform)"));
    }

    private String problem() {
        ServiceReference<PlatformStats> ref = context.getServiceReference(PlatformStats.class);
        return ref == null ? "(no PlatformStats)" : context.getService(ref).counters().problem();
    }

    private List<String> health() throws InterruptedException {
        HealthCheck check = (HealthCheck) context.getService(awaitService(HealthCheck.class, "(hc.tags=tether)"));
        Result r = check.execute();
        List<String> out = new ArrayList<>();
        for (ResultLog.Entry e : r) {
            out.add(e.getMessage());
        }
        return out;
    }

    private Map<String, Object> properties() {
        ServiceReference<StubPlatform> ref = context.getServiceReference(StubPlatform.class);
        Map<String, Object> props = new java.util.TreeMap<>();
        if (ref != null) {
            for (String k : ref.getPropertyKeys()) {
                props.put(k, ref.getProperty(k));
            }
        }
        return props;
    }

    /** Log entries (any bundle, any level) that mention this refusal. */
    private long refusals(String keyValue) {
        return log.stream().filter(e -> e.getMessage().contains(keyValue)).count();
    }

    /**
     * Tether's log entries with a stack trace. Only Tether's: Felix Config Admin delivers its
     * configuration events on a thread of its own, and one still under way when the test stops
     * dev.tether.core logs "Invalid BundleContext" with a trace of its own (seen under load).
     */
    private long traces() {
        return log.stream().filter(e -> e.getException() != null && e.getBundle() != null && e.getBundle().getSymbolicName().startsWith("dev.tether.")).count();
    }

    private String messages() {
        StringBuilder sb = new StringBuilder();
        for (LogEntry e : log) {
            sb.append("\n  ").append(e.getLogLevel()).append(' ').append(e.getBundle().getSymbolicName()).append(' ')
                    .append(e.getMessage()).append(e.getException() != null ? " [" + e.getException() + "]" : "");
        }
        return sb.toString();
    }
}
