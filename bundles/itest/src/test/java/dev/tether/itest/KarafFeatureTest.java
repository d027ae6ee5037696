package dev.tether.itest;

import static dev.tether.itest.InContainer.await;
import static dev.tether.itest.InContainer.running;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
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
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.junit.runners.MethodSorters;
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
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
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
        install();
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

        int pid = pid(admin("tether:spawn"));
        assertTrue("subprocess " + pid + " runs", running(pid));
        assertTrue("subprocess " + pid + " is traced by a thread of Karaf's JVM",
                StubPlatformTest.leftovers().stream().anyMatch(l -> l.startsWith(pid + " ")));
        assertEquals("getpid() = " + pid, admin("tether:inject " + pid + " getpid").trim());
        String stubs = admin("tether:stubs");
        // t (stopped under ptrace), or R while the subprocess's owner clones the spare stub thread for the
        // next caller in the background (SubprocessImpl.prepareSpare), which a loaded machine shows
        // (a Karaf table: columns separated by | or a box-drawing bar)
        assertTrue(stubs, stubs.matches("(?s).*\\bsubprocess\\s*[|\u2502]\\s*" + pid
                + "\\s*[|\u2502]\\s*[tR]\\s*[|\u2502]\\s*console\\s*[|\u2502].*"));

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
        int last = pid(admin("tether:spawn stub"));
        assertTrue(running(last));
        admin("feature:uninstall -r tether");
        assertFalse("core is uninstalled", bundle("dev.tether.core").isPresent());
        assertNull(context.getServiceReference(StubPlatform.class));
        assertFalse("stub " + last + " went with the feature", running(last));
        assertEquals("no process left behind in Karaf's JVM", List.of(), StubPlatformTest.leftovers());
    }

    /**
     * The commands as a Karaf user meets them: {@code help tether} lists them with their
     * descriptions, {@code --help} prints the usage and runs nothing, every command prints its
     * output to the session (nothing is returned for the shell to print), a bad syscall name is a
     * failed command naming it, {@code tether:stubs} is a table, {@code tether:health} prints the
     * checks. Runs before theTetherFeature..., which uninstalls the feature: it is installed once per
     * Karaf here, because this probe imports dev.tether.api dynamically and {@code -r} refreshes
     * nothing, so after an uninstall and a second install the probe still sees the first api
     * bundle's StubPlatform class and no service of the new one (tether:info shows the new platform).
     */
    @Test
    public void theCommandsAreKarafCommandsThatPrintToTheSession() throws Exception {
        install();
        HostArch host = HostArch.current();
        ServiceTracker<StubPlatform, StubPlatform> tracker = new ServiceTracker<>(context, StubPlatform.class, null);
        tracker.open();
        StubPlatform platform;
        try {
            platform = tracker.waitForService(TIMEOUT_MS);
            assertNotNull("the StubPlatform service in Karaf", platform);
        } finally {
            tracker.close();
        }
        assertTrue("the Karaf-only bundle is active", bundle("dev.tether.karaf.shell").map(b -> b.getState() == Bundle.ACTIVE)
                .orElse(false));
        // Karaf's command extender registers the actions asynchronously once their services are there
        await("tether:health is a command", TIMEOUT_MS, () -> {
            try {
                return admin("help tether").contains("tether:health");
            } catch (Exception e) {
                return false;
            }
        }, () -> "");

        // the Gogo functions of dev.tether.shell stay disabled here: one command per name (GogoCommandsEnabler)
        assertNull("no Gogo tether: functions in Karaf", context.getServiceReferences((String) null, "(osgi.command.scope=tether)"));

        String help = admin("help tether");
        for (String command : List.of("bench", "demo", "explain", "health", "info", "inject", "kill", "policy", "regs", "run",
                "spawn", "stubs")) {
            assertTrue("help tether lists tether:" + command + ":\n" + help, help.contains("tether:" + command));
        }
        assertTrue("with descriptions:\n" + help, help.contains("makes a subprocess"));
        assertTrue("with descriptions:\n" + help, help.contains("injects a system call"));

        int subprocesses = platform.subprocesses().size();
        int stubs = platform.stubs().size();
        String usage = plain(admin("tether:spawn --help"));
        assertTrue(usage, usage.contains("SYNTAX") && usage.contains("tether:spawn [kind]"));
        assertTrue(usage, usage.contains("subprocess (default) or stub"));
        assertEquals("--help spawned nothing", subprocesses, platform.subprocesses().size());
        assertEquals("--help spawned nothing", stubs, platform.stubs().size());
        String injectUsage = plain(admin("tether:inject --help"));
        assertTrue(injectUsage, injectUsage.contains("tether:inject pid syscall [args]"));
        assertTrue(plain(admin("tether:info --help")).contains("SYNTAX"));

        String info = admin("tether:info");
        assertTrue(info, info.matches("(?s)Tether stub platform\n.*arch\\s+" + host.archName() + "\n.*"));

        int sub = pid(admin("tether:spawn"));
        assertTrue("subprocess " + sub + " runs", running(sub));
        assertEquals("getpid() = " + sub + "\n", admin("tether:inject " + sub + " getpid"));
        // Karaf reads options only before the first argument: a negative one needs nothing special
        String mmap = admin("tether:inject " + sub + " mmap 0 4096 3 0x22 -1 0");
        assertTrue(mmap, mmap.matches("mmap\\(0, 4096, 3, 0x22, -1, 0\\) = \\d+\n"));
        Exception bad = assertThrows(Exception.class, () -> admin("tether:inject " + sub + " no_such_call"));
        assertTrue(bad.getMessage(), bad.getMessage().contains("no_such_call"));
        Exception badKind = assertThrows(Exception.class, () -> admin("tether:spawn thread"));
        assertTrue(badKind.getMessage(), badKind.getMessage().contains("unknown kind \"thread\": subprocess or stub"));

        // ShellTable separates columns with | (or a box-drawing bar where the charset has it)
        String table = admin("tether:stubs");
        assertTrue(table, table.matches("(?s)\\s*KIND\\s*[|\u2502]\\s*PID\\s*[|\u2502].*"));
        assertTrue(table, table.matches("(?s).*\\bsubprocess\\s*[|\u2502]\\s*" + sub + "\\s*[|\u2502]\\s*[tR]\\s*[|\u2502]\\s*console\\s*[|\u2502].*"));

        String health = admin("tether:health");
        assertTrue(health, health.startsWith("Tether health: OK\n"));
        assertTrue(health, health.matches("(?s).*Tether platform\\s*[|\u2502]\\s*OK\\s*[|\u2502]\\s*ptrace: .*"));
        assertTrue(health, health.matches("(?s).*[|\u2502]\\s*OK\\s*[|\u2502]\\s*platform: running on " + host.archName() + ".*"));

        assertEquals("killed subprocess " + sub + "\n", admin("tether:kill " + sub));
        assertFalse(running(sub));

        String demo = admin("tether:demo");
        assertTrue(demo, demo.startsWith("Tether stub platform\n"));
        assertTrue(demo, demo.contains("Processes left behind: none"));
        assertFalse(demo, demo.contains("UNEXPECTED"));
        // the feature stays: the next method (theTether..., NAME_ASCENDING) checks the install and uninstalls it
    }

    /**
     * What scripts see over Karaf's ssh server through {@code bin/client} (the remote shell runs a
     * command and shows no return value): the commands print, a failed one prints Karaf's error
     * line and exits 1, and {@code tether:health} exits 0 while the checks pass and 1, with the
     * CRITICAL finding, without the host's arch bundle.
     */
    @Test
    public void theCommandsPrintOverBinClientAndFailWithExitStatusOne() throws Exception {
        install();
        HostArch host = HostArch.current();
        await("tether:health is a command", TIMEOUT_MS, () -> {
            try {
                return admin("help tether").contains("tether:health");
            } catch (Exception e) {
                return false;
            }
        }, () -> "");

        Client info = client("tether:info");
        assertEquals(info.output, 0, info.status);
        assertTrue(info.output, info.output.matches("(?s).*Tether stub platform\r?\n.*arch\\s+" + host.archName() + "\r?\n.*"));

        Client spawned = client("tether:spawn");
        assertEquals(spawned.output, 0, spawned.status);
        int pid = Integer.parseInt(spawned.output.trim());
        assertTrue("subprocess " + pid + " runs", running(pid));
        Client killed = client("tether:kill " + pid);
        assertEquals(killed.output, "killed subprocess " + pid, killed.output.trim());
        assertFalse(running(pid));

        Client bad = client("tether:inject " + pid + " getpid");
        assertEquals(bad.output, 1, bad.status);
        assertTrue(bad.output, bad.output.contains("Error executing command: tether:inject: no stub or subprocess " + pid
                + " made by tether:spawn"));

        Client usage = client("tether:spawn --help");
        assertEquals(usage.output, 0, usage.status);
        assertTrue(usage.output, usage.output.contains("tether:spawn [kind]"));

        Client health = client("tether:health");
        assertEquals(health.output, 0, health.status);
        assertTrue(health.output, health.output.startsWith("Tether health: OK"));

        Bundle arch = bundle(host.bundleSymbolicName()).orElseThrow();
        arch.stop();
        try {
            Client down = client("tether:health");
            assertEquals(down.output, 1, down.status);
            assertTrue(down.output, down.output.startsWith("Tether health: CRITICAL"));
            assertTrue(down.output, down.output.contains("Error executing command: tether:health: CRITICAL: "));
        } finally {
            arch.start();
        }
        assertEquals("no process left behind in Karaf's JVM", List.of(), StubPlatformTest.leftovers().stream()
                .filter(l -> l.startsWith(pid + " ")).toList());
    }

    /** What {@code bin/client} printed (stdout and stderr) and its exit status. */
    private record Client(int status, String output) {
    }

    /**
     * Runs {@code command} through Karaf's own {@code bin/client} (a JVM of its own: the ssh client)
     * against this Karaf's ssh server, as user {@value TetherFeatures#CLIENT_USER}.
     */
    private static Client client(String command) throws Exception {
        String home = System.getProperty("karaf.home");
        String port = System.getProperty(TetherFeatures.SSH_PORT_PROPERTY);
        assertNotNull("karaf.home", home);
        assertNotNull("the ssh port (KarafOptions)", port);
        java.io.File out = java.io.File.createTempFile("tether-client", ".out");
        // -r/-d: retry the connection while the ssh server starts; sh: the unpacked script may lack its x bit
        ProcessBuilder pb = new ProcessBuilder("sh", home + "/bin/client", "-h", "127.0.0.1", "-a", port, "-u",
                TetherFeatures.CLIENT_USER, "-p", TetherFeatures.CLIENT_USER, "-r", "30", "-d", "1", command)
                .redirectErrorStream(true).redirectOutput(out);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        try {
            if (!p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new AssertionError("bin/client " + command + " did not finish in 120 s: "
                        + java.nio.file.Files.readString(out.toPath()));
            }
            // without Karaf's colours (its error line is red)
            return new Client(p.exitValue(), plain(java.nio.file.Files.readString(out.toPath(), StandardCharsets.UTF_8)));
        } finally {
            p.destroyForcibly();
            p.waitFor();
            java.nio.file.Files.deleteIfExists(out.toPath());
        }
    }

    /** Adds this build's feature repository (once) and installs feature tether. */
    private void install() throws Exception {
        if (featuresService.getFeature("tether") == null) {
            String repository = System.getProperty(TetherFeatures.REPOSITORY_PROPERTY);
            assertNotNull("the feature repository URL (KarafOptions)", repository);
            admin("feature:repo-add " + repository);
        }
        // -r: no refresh of bundles already there. JNA comes with tether-core, and Karaf would otherwise
        // refresh jline (optional import of com.sun.jna) and with it the shell running this command
        // (docs/build-notes.md, note 11).
        admin("feature:install -r tether");
        assertTrue("feature tether is installed", featuresService.isInstalled(featuresService.getFeature("tether")));
    }

    /** The pid that tether:spawn printed: alone on the only line. */
    private static int pid(String output) {
        assertTrue("a pid alone on its line: '" + output + "'", output.matches("\\d+\n"));
        return Integer.parseInt(output.trim());
    }

    /** {@code text} without ANSI escape sequences (Karaf's help prints bold names). */
    private static String plain(String text) {
        return text.replaceAll("\u001B\\[[0-9;]*m", "");
    }

    /** Runs a command line in a Karaf shell session as a user with role admin; what it printed. */
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
            // The result is not printed (Session.execute does not, nor do ssh and bin/client): a command whose
            // output a user can read prints it
            session.execute(command);
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
