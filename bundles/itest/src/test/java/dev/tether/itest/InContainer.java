package dev.tether.itest;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/** Helpers for test methods (they run inside the framework): Gogo, Config Admin, waiting, /proc. */
final class InContainer {
    /** The platform's configuration PID (core's StubPlatformComponent.PID). */
    static final String PID = "dev.tether.core";

    private InContainer() {
    }

    /** What a Gogo command line printed and returned. */
    record Gogo(String output, Object result) {
        /** The output and the result as one text, as an interactive shell would show them. */
        String text() {
            return output + (result == null ? "" : result + "\n");
        }
    }

    /**
     * Runs {@code command} in a fresh Gogo session of {@code processor}: its printed output and
     * its return value. Exceptions of the command propagate.
     */
    static Gogo gogo(CommandProcessor processor, String command) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        CommandSession session = processor.createSession(new ByteArrayInputStream(new byte[0]), out, out);
        try {
            Object result = session.execute(command);
            out.flush();
            return new Gogo(bytes.toString(StandardCharsets.UTF_8), result);
        } finally {
            session.close();
        }
    }

    /** Sets the platform's configuration to {@code keysAndValues} (alternating), replacing any earlier one. */
    static void configure(ConfigurationAdmin admin, Object... keysAndValues) throws IOException {
        Dictionary<String, Object> props = new Hashtable<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            props.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        // "?": any bundle may bind it (core's, here)
        Configuration c = admin.getConfiguration(PID, "?");
        c.update(props);
    }

    /**
     * Deletes the platform's configuration, if there is one: back to the defaults. The deletion
     * reaches the component asynchronously; the service's properties lose {@code service.pid}
     * when it has. (Wait for that before configuring again: a configuration created while SCR
     * has not yet seen the deletion of the last one is taken for the old one, and its changes
     * are dropped as stale, Felix SCR 2.2 comparing change counts.)
     */
    static void unconfigure(ConfigurationAdmin admin) throws IOException, InvalidSyntaxException {
        Configuration[] existing = admin.listConfigurations("(service.pid=" + PID + ")");
        if (existing != null) {
            for (Configuration c : existing) {
                c.delete();
            }
        }
    }

    /** Waits up to {@code timeoutMs} for {@code condition}; fails with {@code what} and the last state. */
    static void await(String what, long timeoutMs, BooleanSupplier condition, Supplier<String> state)
            throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out after " + timeoutMs + " ms waiting for " + what + "; state: " + state.get());
            }
            Thread.sleep(10);
        }
    }

    /**
     * Like {@link #await}, but checks {@code condition} without pause, so that the first time it
     * holds is seen at once: for tests of what is true at the moment a change becomes visible.
     */
    static void spinUntil(String what, long timeoutMs, BooleanSupplier condition, Supplier<String> state) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out after " + timeoutMs + " ms waiting for " + what + "; state: " + state.get());
            }
            Thread.onSpinWait();
        }
    }

    /** Whether a process (not a zombie) with this pid exists. */
    static boolean running(int pid) {
        try {
            String status = Files.readString(Path.of("/proc/" + pid + "/status"));
            return !StubPlatformTest.field(status, "State").startsWith("Z");
        } catch (IOException e) {
            return false;
        }
    }
}
