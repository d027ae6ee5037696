package dev.tether.itest;

import static dev.tether.itest.InContainer.await;
import static dev.tether.itest.InContainer.running;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import dev.tether.api.HostArch;
import dev.tether.api.StubPlatform;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.security.PrivilegedExceptionAction;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import javax.inject.Inject;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.security.auth.Subject;
import org.apache.karaf.features.FeaturesService;
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
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Tether in a real Apache Karaf 4.4.10 distribution (Pax Exam's Karaf container, a forked JVM):
 * the feature repository of this build is added, {@code feature:install tether} installs core,
 * the host's arch bundle (the one whose osgi.native requirement the host meets), the health check
 * API and the shell; the console
 * commands run in Karaf's shell; the health check and the MBean (through Karaf's Aries JMX
 * whiteboard) report; {@code feature:uninstall} leaves no process.
 *
 * <p>Test methods run inside Karaf. Commands run through Karaf's {@link SessionFactory} (its
 * CommandProcessor service cannot run Gogo-style commands, docs/build-notes.md, note 16), as a Subject with role
 * admin (feature:install is admin-only, docs/build-notes.md, note 16).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
@ExamFactory(KarafTestContainerFactory.class)
public class KarafFeatureTest {
    static final long TIMEOUT_MS = 20_000;

    @Inject
    private BundleContext context;
    @Inject
    private SessionFactory sessionFactory;
    @Inject
    private FeaturesService featuresService;

    /** Runs outside Karaf, in the Surefire JVM. */
    @Configuration
    public Option[] config() {
        return KarafOptions.karaf();
    }

    @Test
    public void theTetherFeatureInstallsWorksAndLeavesNoProcess() throws Exception {
        String repository = System.getProperty(TetherFeatures.REPOSITORY_PROPERTY);
        assertNotNull("the feature repository URL (KarafOptions)", repository);
        admin("feature:repo-add " + repository);
        // -r: no refresh of bundles already there. JNA comes with tether-core, and Karaf would otherwise
        // refresh jline (optional import of com.sun.jna) and with it the shell running this command
        // (docs/build-notes.md, note 11).
        admin("feature:install -r tether");
        assertTrue("feature tether is installed", featuresService.isInstalled(featuresService.getFeature("tether")));
        // only now: HostArch comes from dev.tether.api, which the feature just installed (the probe imports dynamically)
        HostArch host = HostArch.current();

        String reactorBundles = System.getProperty(TetherFeatures.BUNDLES_PROPERTY);
        assertNotNull("the reactor's bundles (KarafOptions)", reactorBundles);
        List<String> expected = new ArrayList<>(List.of(reactorBundles.split(",")));
        assertTrue(expected + " has the other arch bundle", expected.remove(host.other().bundleSymbolicName()));
        expected.addAll(List.of("com.sun.jna", "org.apache.felix.healthcheck.api"));
        for (String bsn : expected) {
            Bundle b = bundle(bsn).orElseThrow(() -> new AssertionError(bsn + " is not installed: " + bundleNames()));
            assertEquals(bsn + " is active", Bundle.ACTIVE, b.getState());
        }
        assertFalse("the other arch's bundle is not installed (its condition is not met): " + bundleNames(),
                bundle(host.other().bundleSymbolicName()).isPresent());

        ServiceTracker<StubPlatform, StubPlatform> tracker = new ServiceTracker<>(context, StubPlatform.class, null);
        tracker.open();
        try {
            assertNotNull("the StubPlatform service in Karaf", tracker.waitForService(TIMEOUT_MS));
        } finally {
            tracker.close();
        }

        String info = admin("tether:info");
        assertTrue(info, info.contains("Tether stub platform"));
        assertTrue(info, info.matches("(?s).*arch\\s+" + host.archName() + "\n.*"));
        assertTrue(info, info.matches("(?s).*failure mode\\s+contained\n.*"));

        int pid = Integer.parseInt(admin("tether:spawn").trim());
        assertTrue("subprocess " + pid + " runs", running(pid));
        assertTrue("subprocess " + pid + " is traced by a thread of Karaf's JVM",
                StubPlatformTest.leftovers().stream().anyMatch(l -> l.startsWith(pid + " ")));
        assertEquals("getpid() = " + pid, admin("tether:inject " + pid + " getpid").trim());
        String stubs = admin("tether:stubs");
        // t (stopped under ptrace), or R while the subprocess's owner clones the spare stub thread for the
        // next caller in the background (SubprocessImpl.prepareSpare), which a loaded machine shows
        assertTrue(stubs, stubs.matches("(?s).*\nsubprocess\\s+" + pid + "\\s+[tR]\\s+console\\s.*"));

        String health = TetherHealth.run(context, TIMEOUT_MS);
        assertTrue(health, health.startsWith("OK "));

        // Karaf's Aries JMX whiteboard registers the platform MBean with the platform MBeanServer
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName name = new ObjectName("dev.tether:type=Platform");
        await("the MBean " + name + " in the platform MBeanServer", TIMEOUT_MS, () -> server.isRegistered(name), () -> "");
        assertTrue("injections counted", (Long) server.getAttribute(name, "Injections") >= 2);

        assertEquals("killed subprocess " + pid, admin("tether:kill " + pid).trim());
        assertFalse("subprocess " + pid + " is gone", running(pid));

        // a last one, torn down by the uninstall
        int last = Integer.parseInt(admin("tether:spawn stub").trim());
        assertTrue(running(last));
        admin("feature:uninstall -r tether");
        assertFalse("core is uninstalled", bundle("dev.tether.core").isPresent());
        assertNull(context.getServiceReference(StubPlatform.class));
        assertFalse("stub " + last + " went with the feature", running(last));
        assertEquals("no process left behind in Karaf's JVM", List.of(), StubPlatformTest.leftovers());
    }

    /** Runs a command line in a Karaf shell session as a user with role admin; its output and result. */
    private String admin(String command) throws Exception {
        Subject subject = new Subject();
        subject.getPrincipals().add(new RolePrincipal("admin"));
        return Subject.doAs(subject, (PrivilegedExceptionAction<String>) () -> execute(command));
    }

    private String execute(String command) throws Exception {
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
    }

    private Optional<Bundle> bundle(String bsn) {
        return Arrays.stream(context.getBundles()).filter(b -> bsn.equals(b.getSymbolicName())).findFirst();
    }

    private List<String> bundleNames() {
        List<String> names = new ArrayList<>();
        for (Bundle b : context.getBundles()) {
            names.add(b.getSymbolicName());
        }
        return names;
    }
}
