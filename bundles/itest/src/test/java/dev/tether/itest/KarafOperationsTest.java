package dev.tether.itest;

import static dev.tether.itest.InContainer.await;
import static dev.tether.itest.InContainer.running;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import dev.tether.api.HostArch;
import dev.tether.api.PlatformStats;
import dev.tether.api.Stub;
import dev.tether.api.StubPlatform;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivilegedExceptionAction;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.stream.Collectors;
import javax.inject.Inject;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.security.auth.Subject;
import org.apache.karaf.jaas.boot.principal.RolePrincipal;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.api.console.SessionFactory;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.ExamFactory;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.karaf.container.internal.KarafTestContainerFactory;
import org.ops4j.pax.exam.options.SystemPropertyOption;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Tether operated in a real Apache Karaf 4.4.10 as its README says: where JNA unpacks its
 * library (Karaf's data directory, not the user's cache), the metatype as {@code config:meta}
 * prints it, a refused configuration value (one line in karaf.log, attributed to Tether's bundle,
 * without a stack trace; the status says it first) followed by a good one (the MBean tells the
 * truth at once, no SCR lock timeout), and the orphans of a fail-stop platform after
 * {@code feature:uninstall} listed by the next platform.
 *
 * <p>Without the {@code jna.tmpdir} the other Karaf test sets: core chooses the place itself.
 * The fail-stop stub made here ends with Karaf's JVM (PDEATHSIG), at the end of the class.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
@ExamFactory(KarafTestContainerFactory.class)
public class KarafOperationsTest {
    static final long TIMEOUT_MS = 20_000;
    static final String PID = "dev.tether.core";

    @Inject
    private BundleContext context;
    @Inject
    private SessionFactory sessionFactory;
    @Inject
    private ConfigurationAdmin configAdmin;

    /** Runs outside Karaf, in the Surefire JVM: the Karaf options but jna.tmpdir. */
    @Configuration
    public Option[] config() {
        return Arrays.stream(KarafOptions.karaf())
                .filter(o -> !(o instanceof SystemPropertyOption && "jna.tmpdir".equals(((SystemPropertyOption) o).getKey())))
                .toArray(Option[]::new);
    }

    @Test
    public void operationsTellTheTruth() throws Exception {
        admin("feature:repo-add " + System.getProperty(TetherFeatures.REPOSITORY_PROPERTY));
        admin("feature:install -r tether");
        Tether.awaitPlatform(context);
        String arch = Tether.arch();

        // JNA: in Karaf's data directory, which core chose (nobody set jna.tmpdir)
        Path jna = Path.of(System.getProperty("karaf.data"), "tmp", "jna").toAbsolutePath().normalize();
        assertEquals(jna.toString(), System.getProperty("jna.tmpdir"));
        String loaded = System.getProperty("jnidispatch.path");
        assertNotNull("JNA records the file it loaded", loaded);
        assertTrue(loaded + " is under " + jna, Path.of(loaded).toAbsolutePath().normalize().startsWith(jna));
        List<String> maps = Files.readAllLines(Path.of("/proc/self/maps"));
        assertTrue("no library mapped from the user's cache: " + maps,
                maps.stream().noneMatch(l -> l.contains("/.cache/JNA")));

        // config:meta (Karaf 4.4: the pid is an argument) prints the description, which names the options
        String meta = admin("config:meta " + PID);
        assertTrue(meta, meta.contains("failureMode"));
        assertTrue(meta, meta.replaceAll("\\s+", " ").contains("Options: contained (default), fail-stop"));

        // a refused value, then a good one spelled as tether:info prints it
        Path log = karafLog();
        configure("failureMode", "bogus");
        await("the refusal in the status", TIMEOUT_MS, () -> problem().startsWith("configuration refused: failureMode=bogus: "),
                this::problem);
        await("the refusal in karaf.log", TIMEOUT_MS, () -> lines(log, "failureMode=bogus").size() == 1, () -> read(log));
        String line = lines(log, "failureMode=bogus").get(0);
        assertTrue("attributed to Tether's bundle: " + line, line.contains("dev.tether.core"));
        assertTrue("an ERROR: " + line, line.contains("ERROR"));
        assertEquals("one line, no stack trace: " + read(log), 0, lines(log, "\tat dev.tether").size());

        configure("failureMode", "fail-stop");
        await("fail-stop", TIMEOUT_MS, () -> "FAIL_STOP".equals(platformProperty("failureMode")), () -> "" + platformProperty("failureMode"));
        assertEquals("", problem());
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName name = new ObjectName("dev.tether:type=Platform");
        await("the MBean", TIMEOUT_MS, () -> server.isRegistered(name), () -> "");
        assertEquals(Boolean.TRUE, server.getAttribute(name, "PlatformActive"));
        assertEquals(arch, server.getAttribute(name, "Arch"));
        assertEquals("FAIL_STOP", server.getAttribute(name, "FailureMode"));
        // SCR's lock timeout came 5 s after the platform when the components referenced each other
        // (ds.lock.timeout.milliseconds, Felix SCR's default 5000): wait past it, then look
        Thread.sleep(6_000);
        assertEquals(Boolean.TRUE, server.getAttribute(name, "PlatformActive"));
        assertEquals("no SCR timeout: " + read(log), List.of(), lines(log, "imeout").stream()
                .filter(l -> l.contains("dev.tether") || l.contains("felix.scr")).collect(Collectors.toList()));

        // fail-stop in Karaf: a stub, then feature:uninstall: it stays (it ends with the JVM), and the
        // next platform lists it
        int pid = Tether.createStub(context);
        admin("feature:uninstall -r tether");
        assertTrue("the fail-stop stub " + pid + " stays", running(pid));
        admin("feature:install -r tether");
        // The new core and api are new bundles; this probe is still wired to the old api (no refresh,
        // -r), so it reads the new platform through JMX, which shares no classes.
        await("the new platform's MBean", TIMEOUT_MS, () -> {
            try {
                return server.isRegistered(name) && Boolean.TRUE.equals(server.getAttribute(name, "PlatformActive"));
            } catch (Exception e) {
                return false;
            }
        }, () -> read(log));
        String orphans = (String) server.getAttribute(name, "FailStopOrphans");
        assertTrue(orphans, orphans.startsWith("1 stub(s) (pids " + pid + ") and "));
        assertTrue(orphans, orphans.endsWith(" tracer thread(s) of 1 earlier fail-stop platform(s), kept until the JVM exits"));
        assertEquals("the configuration outlived the feature: the new platform is fail-stop too", "FAIL_STOP",
                server.getAttribute(name, "FailureMode"));
    }

    // ---------------------------------------------------------------- helpers

    private String problem() {
        return Tether.problem(context);
    }

    private Object platformProperty(String key) {
        ServiceReference<?> ref = context.getServiceReference("dev.tether.api.StubPlatform");
        return ref == null ? null : ref.getProperty(key);
    }

    private void configure(String key, Object value) throws Exception {
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(key, value);
        configAdmin.getConfiguration(PID, "?").update(props);
    }

    private static Path karafLog() {
        String dir = System.getProperty("karaf.log", System.getProperty("karaf.data") + "/log");
        return Path.of(dir, "karaf.log");
    }

    private static List<String> lines(Path log, String text) {
        return read(log).lines().filter(l -> l.contains(text)).collect(Collectors.toList());
    }

    private static String read(Path log) {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            return "(no " + log + ": " + e + ")";
        }
    }

    /**
     * What touches Tether's API, in a class of its own: Pax Exam reads the test class's method
     * signatures before the test installs the feature (the probe imports dev.tether.api
     * dynamically, so only once it is there).
     */
    static final class Tether {
        /** The fail-stop stub, held until Karaf's JVM ends. */
        static volatile Object kept;

        static String arch() {
            return HostArch.current().archName();
        }

        static StubPlatform awaitPlatform(BundleContext context) throws InterruptedException {
            ServiceTracker<StubPlatform, StubPlatform> tracker = new ServiceTracker<>(context, StubPlatform.class, null);
            tracker.open();
            try {
                StubPlatform p = tracker.waitForService(TIMEOUT_MS);
                assertNotNull("the StubPlatform service in Karaf", p);
                return p;
            } finally {
                tracker.close();
            }
        }

        static String problem(BundleContext context) {
            ServiceReference<PlatformStats> ref = context.getServiceReference(PlatformStats.class);
            assertNotNull("PlatformStats", ref);
            return context.getService(ref).counters().problem();
        }

        static int createStub(BundleContext context) throws InterruptedException {
            Stub stub = awaitPlatform(context).createStub();
            kept = stub;
            return stub.pid();
        }
    }

    /** Runs a command line in a Karaf shell session as a user with role admin; what it printed and returned. */
    private String admin(String command) throws Exception {
        Subject subject = new Subject();
        subject.getPrincipals().add(new RolePrincipal("admin"));
        return Subject.doAs(subject, (PrivilegedExceptionAction<String>) () -> {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
            Session session = sessionFactory.create(System.in, out, out);
            try {
                Object result = session.execute(command);
                if (result != null) {
                    out.println(result); // Session.execute does not print it (docs/build-notes.md, note 16)
                }
            } finally {
                session.close();
            }
            return bytes.toString(StandardCharsets.UTF_8);
        });
    }
}
