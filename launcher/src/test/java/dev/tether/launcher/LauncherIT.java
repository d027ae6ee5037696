package dev.tether.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.api.HostArch;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The packaged launcher as users run it, {@code java -jar target/runtime/tether-launcher.jar}
 * (Failsafe, after the jar exists): its manifest Class-Path finds lib/, its runtime finds
 * bundles/, and it exits with the documented codes.
 */
class LauncherIT {
    record Run(int rc, String out, String err) {
        @Override
        public String toString() {
            return "rc=" + rc + "\n--- out ---\n" + out + "\n--- err ---\n" + err;
        }
    }

    static Run java(String... args) throws IOException, InterruptedException {
        return java(null, args);
    }

    /** Runs the jar with its standard output going to {@code stdout} (null: a file that is read back). */
    static Run java(Path stdout, String... args) throws IOException, InterruptedException {
        Path jar = Cli.runtime().resolve("tether-launcher.jar");
        assertTrue(Files.isRegularFile(jar), jar + " was not built");
        Path dir = Cli.tempDir("it");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString()));
        cmd.addAll(List.of(args));
        Path out = stdout != null ? stdout : dir.resolve("out");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile())
                .redirectError(dir.resolve("err").toFile()).start();
        try {
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                throw new AssertionError("`" + String.join(" ", cmd) + "` did not finish in 120 s");
            }
        } finally {
            p.destroyForcibly();
            p.waitFor();
        }
        return new Run(p.exitValue(), stdout != null ? "" : Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(dir.resolve("err"), StandardCharsets.UTF_8));
    }

    @Test
    void demoBootsTheFrameworkAndExits0() throws Exception {
        HostArch host = HostArch.current();
        Run r = java("demo");
        assertEquals(ExitCode.OK, r.rc(), r::toString);
        assertTrue(r.out().contains("Framework  org.apache.felix.framework"), r::toString);
        for (String bsn : BootTest.TETHER) {
            String expected = bsn.equals(host.other().bundleSymbolicName()) ? "INSTALLED  not for this host" : "ACTIVE";
            assertTrue(r.out().lines().anyMatch(l -> l.trim().startsWith(bsn + " ") && l.contains(expected)),
                    () -> bsn + " should be " + expected + "\n" + r);
        }
        assertTrue(r.out().contains("tether.arch"), r::toString);
        assertTrue(r.out().contains("Framework stopped."), r::toString);
        assertFalse(r.out().contains("ERROR"), r::toString);
    }

    @Test
    void seccompRunsOnTheJarsClassPath() throws Exception {
        Path dir = Cli.tempDir("it");
        Path rules = Files.writeString(dir.resolve("rules.json"),
                "{\"defaultAction\": \"allow\", \"ruleSets\": [{\"action\": \"errno:1\", \"syscalls\": [{\"name\": \"ptrace\"}]}]}");
        for (HostArch arch : HostArch.values()) {
            Run r = java("seccomp", "compile", "--arch", arch.name(), rules.toString());
            assertEquals(ExitCode.OK, r.rc(), r::toString);
            assertTrue(r.out().startsWith("{\"file\": "), r::toString);
            Run e = java("seccomp", "eval", "--arch", arch.name(), rules.toString(), "--name", "ptrace");
            assertEquals("errno:1", e.out().split("\n")[0], e::toString);
            assertTrue(e.out().contains("\ndecided by ruleSets[0].syscalls[0]: ptrace ("), e::toString);
        }
        Run bad = java("seccomp", "compile", "--format", "nope", rules.toString());
        assertEquals(ExitCode.USAGE, bad.rc(), bad::toString);
        assertEquals("", bad.out());
    }

    /** {@code > /dev/full}: System.out swallowed the write error and the command exited 0. */
    @Test
    void aFullDiskOnStandardOutputFailsTheCommand() throws Exception {
        Path full = Path.of("/dev/full");
        Assumptions.assumeTrue(Files.isWritable(full), "/dev/full");
        Path dir = Cli.tempDir("it");
        Path rules = Files.writeString(dir.resolve("rules.json"),
                "{\"defaultAction\": \"allow\", \"ruleSets\": [{\"action\": \"errno:1\", \"syscalls\": [{\"name\": \"ptrace\"}]}]}");
        for (String[] args : new String[][] {{"seccomp", "compile", rules.toString()}, {"seccomp", "stub-policy"}, {"--help"}}) {
            Run r = java(full, args);
            assertEquals(ExitCode.FAILED, r.rc(), r::toString);
            assertTrue(r.err().contains("cannot write to standard output: No space left on device"), r::toString);
            assertFalse(r.err().contains("\tat "), r::toString);
        }
    }
}
