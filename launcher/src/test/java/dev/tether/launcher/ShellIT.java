package dev.tether.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code tether shell} as users run it ({@code java -jar tether-launcher.jar shell}), with the
 * console commands typed on its standard input: they work on the embedded Felix, {@code exit}
 * stops the framework, the launcher exits 0 and nothing is left behind.
 */
class ShellIT {
    @Test
    void theConsoleCommandsWorkInTheShellAndExitStopsIt() throws Exception {
        Path jar = Cli.runtime().resolve("tether-launcher.jar");
        Path dir = Cli.tempDir("shell");
        Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString(), "shell"))
                .redirectOutput(dir.resolve("out").toFile()).redirectError(dir.resolve("err").toFile()).start();
        long pid;
        try {
            try (OutputStream in = p.getOutputStream()) {
                in.write("tether:spawn --help\ntether:info\ntether:spawn\n".getBytes(StandardCharsets.UTF_8));
                in.flush();
                String spawned = awaitLine(dir.resolve("out"), Pattern.compile("(?m)^(?:g! )*(\\d+)$"));
                pid = Long.parseLong(spawned);
                in.write(("tether:inject " + pid + " getpid\ntether:stubs\nexit\n").getBytes(StandardCharsets.UTF_8));
            }
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "tether shell did not stop on exit");
        } finally {
            p.destroyForcibly();
            p.waitFor();
        }
        String out = Files.readString(dir.resolve("out"), StandardCharsets.UTF_8);
        String err = Files.readString(dir.resolve("err"), StandardCharsets.UTF_8);
        String all = "--- out ---\n" + out + "\n--- err ---\n" + err;
        assertEquals(ExitCode.OK, p.exitValue(), all);
        assertTrue(out.contains("Tether stub platform"), all);
        assertTrue(out.contains("getpid() = " + pid), all);
        // t (stopped under ptrace), or R while the subprocess's owner clones the spare stub thread for
        // the next caller in the background (SubprocessImpl.prepareSpare), which a loaded machine shows
        assertTrue(out.matches("(?s).*subprocess\\s+" + pid + "\\s+[tR]\\s+console.*"), all);
        assertFalse(out.contains("Cannot coerce"), all);
        // --help printed the usage and spawned nothing: the one pid line is the later tether:spawn's
        assertTrue(out.contains("usage: tether:spawn [subprocess|stub]"), all);
        assertEquals(1, Pattern.compile("(?m)^(?:g! )*\\d+$").matcher(out).results().count(), all);
        assertFalse(Files.exists(Path.of("/proc/" + pid)), "subprocess " + pid + " is gone with the framework");
    }

    /**
     * A refused configuration value, set through Config Admin from the console as an operator
     * would: one line naming the property, the value and its range, and what runs instead, on
     * the console, no stack trace (both
     * the component's log and SCR's report of what its modified method threw printed one).
     */
    @Test
    void aRefusedConfigurationValueIsOneLineWithoutAStackTrace() throws Exception {
        Path jar = Cli.runtime().resolve("tether-launcher.jar");
        Path dir = Cli.tempDir("shell");
        Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString(), "shell"))
                .redirectOutput(dir.resolve("out").toFile()).redirectError(dir.resolve("err").toFile()).start();
        try {
            try (OutputStream in = p.getOutputStream()) {
                in.write(String.join("\n",
                        "ref = $.context getServiceReference org.osgi.service.cm.ConfigurationAdmin",
                        "ca = $.context getService $ref",
                        "cfg = $ca getConfiguration dev.tether.core \"?\"",
                        "props = new java.util.Hashtable",
                        "$props put poolSize (new java.lang.Integer -1)",
                        "$cfg update $props",
                        "").getBytes(StandardCharsets.UTF_8));
                in.flush();
                awaitLine(dir.resolve("err"), Pattern.compile("(poolSize=-1: must be 0[^\n]*)"));
                // a value SCR cannot convert to the int the component asks for
                in.write("$props put poolSize abc\n$cfg update $props\n".getBytes(StandardCharsets.UTF_8));
                in.flush();
                awaitLine(dir.resolve("err"), Pattern.compile("(poolSize=abc: must be an integer[^\n]*)"));
                in.write("tether:spawn\nexit\n".getBytes(StandardCharsets.UTF_8));
            }
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "tether shell did not stop on exit");
        } finally {
            p.destroyForcibly();
            p.waitFor();
        }
        String out = Files.readString(dir.resolve("out"), StandardCharsets.UTF_8);
        String err = Files.readString(dir.resolve("err"), StandardCharsets.UTF_8);
        String all = "--- out ---\n" + out + "\n--- err ---\n" + err;
        assertEquals(ExitCode.OK, p.exitValue(), all);
        List<String> refused = err.lines().filter(l -> l.contains("poolSize")).toList();
        // key=value: reason; what runs instead (the defaults here: the platform stays as it was)
        String stays = "; running with failureMode=contained, tracerThreads=2, poolSize=16, prefork=0,"
                + " stubAddress=(the arch's placement), cpuidFaulting=true (the platform stays as it was)";
        assertEquals(List.of("SEVERE: configuration dev.tether.core refused: poolSize=-1: must be 0..4096" + stays,
                "SEVERE: configuration dev.tether.core refused: poolSize=abc: must be an integer 0..4096" + stays), refused, all);
        assertFalse(err.contains("\tat ") || err.contains("Exception"), all);
        assertTrue(Pattern.compile("(?m)^(?:g! )*\\d+$").matcher(out).find(), "the platform still spawns:\n" + all);
    }

    private static String awaitLine(Path file, Pattern pattern) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < end) {
            String text = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
            Matcher m = pattern.matcher(text);
            if (m.find()) {
                return m.group(1);
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no line matching " + pattern + " in " + file + ":\n" + Files.readString(file));
    }
}
