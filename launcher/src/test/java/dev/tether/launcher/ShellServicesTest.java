package dev.tether.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.api.HostArch;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;

/**
 * What {@code tether shell} adds to the embedded framework, in this JVM: core's platform MBean in
 * the platform MBeanServer while the shell runs, and a Gogo {@code exit} that stops the framework.
 */
class ShellServicesTest {
    @Test
    void theShellShowsTheMBeanAndExitStopsTheFramework() throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName name = new ObjectName("dev.tether:type=Platform");
        try (EmbeddedFelix felix = EmbeddedFelix.boot(Cli.runtime(), false)) {
            try (ShellServices services = ShellServices.start(felix.framework())) {
                assertTrue(await(() -> server.isRegistered(name)), name + " in the platform MBeanServer");
                assertEquals(Boolean.TRUE, server.getAttribute(name, "PlatformActive"));
                assertEquals(HostArch.current().name(), server.getAttribute(name, "Arch"));

                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
                assertTrue(felix.awaitCommand("tether", "spawn", 10_000), "tether:spawn is registered");
                felix.gogo("tether:spawn", out, out);
                assertTrue(bytes.toString(StandardCharsets.UTF_8).trim().matches("\\d+"), bytes::toString);
                assertEquals(1L, server.getAttribute(name, "SubprocessesForked"));

                felix.gogo("exit", out, out);
                felix.framework().waitForStop(30_000);
                assertEquals(Bundle.RESOLVED, felix.framework().getState(), "exit stopped the framework");
            }
            assertFalse(server.isRegistered(name), "the MBean goes with the shell");
        }
    }

    private static boolean await(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }
}
