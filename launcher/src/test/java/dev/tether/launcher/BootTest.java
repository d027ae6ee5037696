package dev.tether.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.api.HostArch;
import dev.tether.launcher.testing.ReactorBundles;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;

/**
 * Boots the embedded Felix in this JVM on target/runtime/bundles, as {@code tether demo} does:
 * every Tether bundle but the other arch's is ACTIVE, the other arch's stays INSTALLED because of
 * its osgi.native requirement, the runtime bundles are ACTIVE, the host's arch services are there.
 */
class BootTest {
    /** Every bundle module of the reactor: the runtime (bundles/runtime/pom.xml) must install each one. */
    static final Set<String> TETHER = ReactorBundles.symbolicNames();

    @Test
    void everyBundleButTheOtherArchIsActive() throws Exception {
        HostArch host = HostArch.current();
        Bundle fw;
        try (EmbeddedFelix felix = EmbeddedFelix.boot(Cli.runtime(), false)) {
            fw = felix.framework();
            assertEquals(Bundle.ACTIVE, fw.getState());
            Set<String> seen = new TreeSet<>();
            List<String> problems = new ArrayList<>();
            for (Bundle b : felix.bundles()) {
                String bsn = b.getSymbolicName();
                seen.add(bsn);
                if (bsn.equals(host.other().bundleSymbolicName())) {
                    if (b.getState() != Bundle.INSTALLED || felix.unmetNativeRequirement(b) == null) {
                        problems.add(bsn + " should be INSTALLED with an unmet osgi.native requirement, is "
                                + DemoCommand.state(b));
                    }
                } else if (b.getState() != Bundle.ACTIVE && !EmbeddedFelix.isFragment(b)) {
                    problems.add(bsn + " is " + DemoCommand.state(b) + ": " + felix.startFailure(b));
                }
            }
            assertTrue(problems.isEmpty(), () -> String.join("\n", problems));
            Set<String> tether = new TreeSet<>(seen);
            tether.removeIf(bsn -> !bsn.startsWith("dev.tether."));
            assertEquals(TETHER, tether, "the runtime's Tether bundles (bundles/runtime/pom.xml) are the reactor's bundle modules");
            for (String required : new String[] {"org.apache.felix.scr", "org.apache.felix.configadmin",
                "org.apache.felix.metatype", "org.apache.felix.gogo.runtime", "org.apache.felix.gogo.command",
                "org.osgi.service.component", "org.osgi.service.log", "com.sun.jna"}) {
                assertTrue(seen.contains(required), () -> required + " is not installed: " + seen);
            }

            List<ServiceReference<?>> arch = felix.services("(tether.arch=*)");
            assertFalse(arch.isEmpty(), "the host's arch bundle registers services with tether.arch");
            for (ServiceReference<?> r : arch) {
                assertEquals(host.name(), r.getProperty("tether.arch"), "only the host's arch registers services");
            }

            // Gogo runs commands from code (a built-in one, so this does not depend on the shell bundle).
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
            felix.gogo("lb", ps, ps);
            assertTrue(out.toString(StandardCharsets.UTF_8).contains("dev.tether.core")
                    || out.toString(StandardCharsets.UTF_8).contains("Tether :: Core"), out::toString);
        }
        assertEquals(Bundle.RESOLVED, fw.getState(), "close() stops the framework");
        assertNotNull(System.getProperty(JnaTmpdir.PROPERTY));
        assertTrue(Files.isDirectory(Cli.runtime().resolve("felix-cache")));
    }

    @Test
    void aSecondLauncherUsesAPrivateCacheAndDeletesIt() {
        Path shared = Cli.runtime().resolve("felix-cache").toAbsolutePath().normalize();
        try (EmbeddedFelix first = EmbeddedFelix.boot(Cli.runtime(), false)) {
            Path second;
            try (EmbeddedFelix other = EmbeddedFelix.boot(Cli.runtime(), false)) {
                second = other.cacheDir();
                assertEquals(Bundle.ACTIVE, other.framework().getState());
                assertFalse(second.toAbsolutePath().normalize().equals(shared), "the second launcher must not share the cache");
                assertTrue(Files.isDirectory(second));
            }
            assertFalse(Files.exists(second), "the private cache is deleted on close: " + second);
            assertEquals(shared, first.cacheDir().toAbsolutePath().normalize());
            assertEquals(Bundle.ACTIVE, first.framework().getState(), "stopping the second framework leaves the first alone");
        }
    }
}
