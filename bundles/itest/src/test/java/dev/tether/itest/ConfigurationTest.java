package dev.tether.itest;

import static dev.tether.itest.InContainer.await;
import static dev.tether.itest.InContainer.configure;
import static dev.tether.itest.InContainer.running;
import static dev.tether.itest.InContainer.spinUntil;
import static dev.tether.itest.InContainer.unconfigure;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import dev.tether.api.FailureMode;
import dev.tether.api.PlatformFacts;
import dev.tether.api.Stub;
import dev.tether.api.StubPlatform;
import dev.tether.api.Subprocess;
import dev.tether.seccomp.Action;
import dev.tether.seccomp.RuleFile;
import dev.tether.seccomp.SyscallTable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.inject.Inject;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.ServiceEvent;
import org.osgi.framework.ServiceListener;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.log.LogEntry;
import org.osgi.service.log.LogLevel;
import org.osgi.service.log.LogListener;
import org.osgi.service.log.LogReaderService;
import org.osgi.service.log.Logger;
import org.osgi.service.log.admin.LoggerAdmin;
import org.osgi.service.metatype.AttributeDefinition;
import org.osgi.service.metatype.MetaTypeInformation;
import org.osgi.service.metatype.MetaTypeService;
import org.osgi.service.metatype.ObjectClassDefinition;

/**
 * The platform's configuration (PID dev.tether.core) through Config Admin, observed live on the
 * running StubPlatform service: Metatype describes it; failure mode (and stub address) replace the
 * platform; pool size applies to the running one; injection logging toggles at once (OSGi Log
 * Service); a bad value is refused and changes nothing.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ConfigurationTest extends TetherTestSupport {
    static final long CONFIG_MS = 10_000;

    @Inject
    private ConfigurationAdmin configAdmin;
    @Inject
    private MetaTypeService metaType;
    @Inject
    private LogReaderService logReader;
    @Inject
    private LoggerAdmin loggerAdmin;

    private final List<LogEntry> log = new CopyOnWriteArrayList<>();
    private final LogListener listener = log::add;

    @Before
    public void listenToTheLog() {
        // The R7 default level is WARN; the platform's INFO entries (injections, replacement) are wanted here.
        loggerAdmin.getLoggerContext("dev.tether.core").setLogLevels(Map.of(Logger.ROOT_LOGGER_NAME, LogLevel.DEBUG));
        logReader.addLogListener(listener);
    }

    @After
    public void backToDefaults() throws Exception {
        logReader.removeLogListener(listener);
        unconfigure(configAdmin);
        StubPlatform p = platform();
        // the deletion has reached the component (no service.pid) and the defaults are back
        await("the default configuration", CONFIG_MS, () -> {
            Map<String, Object> props = properties();
            return !props.containsKey("service.pid")
                    && "CONTAINED".equals(props.get("failureMode")) && Integer.valueOf(16).equals(props.get("poolSize"))
                    && "".equals(props.get("stubAddress")) && Boolean.FALSE.equals(props.get("logInjections"));
        }, () -> String.valueOf(properties()));
        assertEquals(FailureMode.CONTAINED, p.facts().failureMode());
    }

    @Test
    public void metatypeDescribesThePid() {
        MetaTypeInformation info = metaType.getMetaTypeInformation(bundle("dev.tether.core"));
        assertNotNull("dev.tether.core has Metatype", info);
        assertTrue("Metatype lists the pid: " + Arrays.toString(info.getPids()),
                Arrays.asList(info.getPids()).contains(InContainer.PID));
        ObjectClassDefinition ocd = info.getObjectClassDefinition(InContainer.PID, null);
        Map<String, AttributeDefinition> ads = new TreeMap<>();
        for (AttributeDefinition ad : ocd.getAttributeDefinitions(ObjectClassDefinition.ALL)) {
            ads.put(ad.getID(), ad);
        }
        assertEquals(List.of("cpuidFaulting", "failureMode", "logInjections", "poolSize", "prefork", "stubAddress",
                "tracerThreads"),
                new ArrayList<>(ads.keySet()));
        assertEquals(List.of("CONTAINED", "FAIL_STOP"), Arrays.asList(ads.get("failureMode").getOptionValues()));
        assertTrue(Arrays.toString(ads.get("failureMode").getOptionLabels()),
                ads.get("failureMode").getOptionLabels()[1].startsWith("fail-stop: "));
        // Karaf's config:meta prints the description, not the options: the description names them
        assertTrue(ads.get("failureMode").getDescription(),
                ads.get("failureMode").getDescription().startsWith("Options: contained (default), fail-stop; any case"));
        assertEquals(AttributeDefinition.INTEGER, ads.get("poolSize").getType());
        assertEquals(AttributeDefinition.BOOLEAN, ads.get("logInjections").getType());
        // the descriptions tell operators what a change does (and the tests below check that it does it)
        assertTrue(ads.get("failureMode").getDescription(), ads.get("failureMode").getDescription().contains("replaces the platform"));
        assertTrue(ads.get("poolSize").getDescription(), ads.get("poolSize").getDescription().contains("running platform"));
        assertTrue(ads.get("logInjections").getDescription(), ads.get("logInjections").getDescription().contains("at once"));
    }

    @Test
    public void aFailureModeChangeReplacesThePlatformLive() throws Exception {
        StubPlatform p = platform();
        SyscallTable table = syscallTable();
        assertEquals(FailureMode.CONTAINED, p.facts().failureMode());
        assertTrue("contained stubs are cloned with exit signal 0",
                RuleFile.write(p.stubPolicy(Action.KILL_THREAD), table).contains("\"0x400\""));
        Stub before = p.createStub();
        int pid = before.pid();

        // The promise: who sees the new platform sees the new properties too (the component publishes
        // both together). Checked by the first look at the new platform, from a thread that polls without
        // pause (so the look comes as early as it can), and by the service's listeners: told of the new
        // properties, they already find the new platform behind the service.
        List<String> heard = new CopyOnWriteArrayList<>();
        ServiceListener listener = e -> {
            if (e.getType() == ServiceEvent.MODIFIED) {
                heard.add(e.getServiceReference().getProperty("failureMode") + " -> " + p.facts().failureMode());
            }
        };
        context.addServiceListener(listener, "(objectClass=" + StubPlatform.class.getName() + ")");
        try {
            configure(configAdmin, "failureMode", "FAIL_STOP");
            spinUntil("failure mode FAIL_STOP", CONFIG_MS, () -> p.facts().failureMode() == FailureMode.FAIL_STOP, () -> "" + p.facts());
            assertEquals("the service's properties follow the platform", "FAIL_STOP", properties().get("failureMode"));
        } finally {
            context.removeServiceListener(listener);
        }
        assertEquals("a listener told of the new properties finds the new platform", List.of("FAIL_STOP -> FAIL_STOP"), heard);
        // gVisor's semantics: process clone flags CLONE_FILES|SIGKILL = 0x409 (no stub is made in this
        // mode here: one could not be torn down until the JVM exits)
        assertTrue("fail-stop stubs are cloned with exit signal SIGKILL",
                RuleFile.write(p.stubPolicy(Action.KILL_THREAD), table).contains("\"0x409\""));
        assertFalse("the old platform's stub was torn down with it", before.alive());
        assertFalse("stub " + pid + " is gone", running(pid));
        // the log entry is made before the new platform is published, but LogListeners hear of it asynchronously
        await("the replacement in the log", CONFIG_MS, () -> logged(LogLevel.INFO, "stub platform replaced"), this::messages);

        configure(configAdmin, "failureMode", "CONTAINED");
        await("failure mode CONTAINED", CONFIG_MS, () -> p.facts().failureMode() == FailureMode.CONTAINED, () -> "" + p.facts());
        try (Stub after = p.createStub()) {
            assertEquals(after.pid(), after.syscall("getpid"));
        }
    }

    @Test
    public void aPoolSizeChangeAppliesToTheRunningPlatform() throws Exception {
        StubPlatform p = platform();
        PlatformFacts facts = p.facts();
        Stub witness = p.createStub(); // survives: the platform is not replaced
        try {
            configure(configAdmin, "poolSize", 0);
            await("pool size 0", CONFIG_MS, () -> Integer.valueOf(0).equals(properties().get("poolSize")), () -> String.valueOf(properties()));
            Subprocess s = p.newSubprocess();
            int pid = s.pid();
            assertEquals(pid, s.syscall("getpid"));
            s.close();
            assertFalse("pool size 0: a released subprocess is destroyed", p.subprocesses().contains(s));
            assertFalse("subprocess " + pid + " is gone", running(pid));

            configure(configAdmin, "poolSize", 4);
            await("pool size 4", CONFIG_MS, () -> Integer.valueOf(4).equals(properties().get("poolSize")), () -> String.valueOf(properties()));
            Subprocess pooled = p.newSubprocess();
            int pooledPid = pooled.pid();
            pooled.close();
            assertTrue("pool size 4: a released subprocess is pooled", p.subprocesses().contains(pooled));
            assertTrue("pooled subprocess " + pooledPid + " is alive", running(pooledPid));

            configure(configAdmin, "poolSize", 0);
            await("pool size 0 again", CONFIG_MS, () -> Integer.valueOf(0).equals(properties().get("poolSize")), () -> String.valueOf(properties()));
            await("the pool shrinks to 0", CONFIG_MS, () -> !p.subprocesses().contains(pooled), () -> "" + p.subprocesses());
            assertFalse("the extra pooled subprocess " + pooledPid + " was destroyed", running(pooledPid));

            assertTrue("same platform: its stub lived through the pool changes", witness.alive());
            assertEquals(witness.pid(), witness.syscall("getpid"));
            assertEquals("same platform: same facts", facts, p.facts());
        } finally {
            witness.close();
        }
    }

    @Test
    public void injectionLoggingTogglesWithoutReplacingThePlatform() throws Exception {
        StubPlatform p = platform();
        try (Stub stub = p.createStub()) {
            stub.syscall("getpid");
            assertFalse("no injection is logged by default", logged(LogLevel.INFO, "injected getpid"));

            configure(configAdmin, "logInjections", true);
            await("logInjections on", CONFIG_MS, () -> Boolean.TRUE.equals(properties().get("logInjections")), () -> String.valueOf(properties()));
            assertEquals(stub.pid(), stub.syscall("getpid"));
            String expected = "injected getpid (" + p.syscallNumber("getpid") + ") into stub " + stub.pid() + " = " + stub.pid();
            await("the injection in the log", CONFIG_MS, () -> logged(LogLevel.INFO, expected), this::messages);
            assertTrue("the stub lived through the change: the platform was not replaced", stub.alive());

            configure(configAdmin, "logInjections", false);
            await("logInjections off", CONFIG_MS, () -> Boolean.FALSE.equals(properties().get("logInjections")), () -> String.valueOf(properties()));
            log.clear();
            stub.syscall("getppid");
            assertFalse("no injection is logged once turned off", logged(LogLevel.INFO, "injected getppid"));
        }
    }

    @Test
    public void aStubAddressIsHonouredAndABadOneIsRefused() throws Exception {
        StubPlatform p = platform();
        PlatformFacts before = p.facts();
        Stub witness = p.createStub();
        try {
            configure(configAdmin, "stubAddress", String.format("0x%x", before.stubAddress() + 1));
            await("the refusal in the log", CONFIG_MS, () -> logged(LogLevel.ERROR, "must be page-aligned"), this::messages);
            assertEquals("a refused value changes nothing", before, p.facts());
            assertEquals("a refused value changes nothing: the properties neither", "", properties().get("stubAddress"));
            assertTrue("a refused value changes nothing: the stub lives", witness.alive());
        } finally {
            witness.close();
        }
        // a free page a little below the arch's placement
        long wanted = before.stubAddress() - 16 * before.pageSize();
        configure(configAdmin, "stubAddress", String.format("0x%x", wanted));
        await("the stub at 0x" + Long.toHexString(wanted), CONFIG_MS, () -> p.facts().stubAddress() == wanted, () -> "" + p.facts());
        try (Stub moved = p.createStub()) {
            long ip = moved.initialRegisters().words()[ipIndex()];
            assertTrue(String.format("the stub runs at the configured page: ip 0x%x", ip),
                    ip >= wanted && ip < wanted + p.facts().stubLength());
            assertEquals(moved.pid(), moved.syscall("getpid"));
        }
    }

    // ---------------------------------------------------------------- helpers

    private StubPlatform platform() throws InterruptedException {
        ServiceReference<?> ref = awaitService(StubPlatform.class, null);
        assertNotNull("StubPlatform service", ref);
        return (StubPlatform) context.getService(ref);
    }

    private Map<String, Object> properties() {
        ServiceReference<StubPlatform> ref = context.getServiceReference(StubPlatform.class);
        Map<String, Object> props = new TreeMap<>();
        if (ref != null) {
            for (String k : ref.getPropertyKeys()) {
                props.put(k, ref.getProperty(k));
            }
        }
        return props;
    }

    private SyscallTable syscallTable() {
        ServiceReference<SyscallTable> ref = context.getServiceReference(SyscallTable.class);
        assertNotNull(ref);
        return context.getService(ref);
    }

    private int ipIndex() {
        ServiceReference<dev.tether.spi.RegisterLayout> ref = context.getServiceReference(dev.tether.spi.RegisterLayout.class);
        return context.getService(ref).instructionPointerIndex();
    }

    private boolean logged(LogLevel level, String text) {
        for (LogEntry e : log) {
            if (e.getLogLevel() == level && e.getMessage().contains(text)
                    && "dev.tether.core".equals(e.getBundle().getSymbolicName())) {
                return true;
            }
        }
        return false;
    }

    private String messages() {
        StringBuilder sb = new StringBuilder();
        for (LogEntry e : log) {
            sb.append("\n  ").append(e.getLogLevel()).append(' ').append(e.getMessage());
        }
        return sb.toString();
    }
}
