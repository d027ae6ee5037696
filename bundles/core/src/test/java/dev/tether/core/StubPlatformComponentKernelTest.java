package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.api.FailureMode;
import dev.tether.api.PlatformClosedException;
import dev.tether.api.PlatformFacts;
import dev.tether.api.Stub;
import dev.tether.api.Subprocess;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The StubPlatform component's life outside OSGi (what DS would call): configuration changes
 * that apply to the running platform, ones that replace it, ones that are refused; deactivation
 * tears everything down; fail-stop refuses to (in a child JVM, whose exit ends its stubs).
 */
@ExtendWith(NoLeftoverProcesses.class)
class StubPlatformComponentKernelTest {

    @Test
    void poolChangesApplyToTheRunningPlatform() {
        StubPlatformComponent c = Configs.component();
        Configs.activate(c, Map.of());
        try {
            PlatformFacts facts = c.facts();
            Stub witness = c.createStub();
            Configs.modify(c, Map.of("poolSize", 0));
            Subprocess s = c.newSubprocess();
            assertEquals(s.pid(), s.syscall("getpid"));
            s.close();
            assertFalse(c.subprocesses().contains(s), "pool size 0: destroyed on release");
            Configs.modify(c, Map.of("poolSize", 2));
            Subprocess pooled = c.newSubprocess();
            pooled.close();
            assertTrue(c.subprocesses().contains(pooled), "pool size 2: pooled on release");
            Configs.modify(c, Map.of("poolSize", 0));
            assertFalse(c.subprocesses().contains(pooled), "the pool shrank to 0");
            assertTrue(witness.alive(), "same platform: its stub lives");
            assertEquals(facts, c.facts());
            witness.close();
        } finally {
            c.deactivate();
        }
    }

    @Test
    void structuralChangesReplaceThePlatformAndBadOnesChangeNothing() {
        StubPlatformComponent c = Configs.component();
        Configs.activate(c, Map.of());
        try {
            Stub before = c.createStub();
            PlatformFacts facts = c.facts();
            // refused values are logged (ConfigurationRefusalKernelTest), not thrown: SCR would log them again
            Configs.modify(c, Map.of("stubAddress", "0x" + Long.toHexString(facts.stubAddress() + 1)));
            Configs.modify(c, Map.of("stubAddress", "top"));
            assertEquals(facts, c.facts(), "refused: nothing changed");
            assertTrue(before.alive());

            Configs.modify(c, Map.of("tracerThreads", 3));
            assertEquals(3, c.facts().tracerThreads());
            assertFalse(before.alive(), "the old platform's stub went with it");
            assertThrows(PlatformClosedException.class, () -> before.syscall("getpid"));

            Configs.modify(c, Map.of("failureMode", FailureMode.FAIL_STOP));
            assertEquals(FailureMode.FAIL_STOP, c.facts().failureMode());
            Configs.modify(c, Map.of());
            assertEquals(FailureMode.CONTAINED, c.facts().failureMode(), "no fail-stop stub was made: it could go");
            try (Stub after = c.createStub()) {
                assertEquals(after.pid(), after.syscall("getpid"));
            }
        } finally {
            c.deactivate();
        }
        assertThrows(PlatformClosedException.class, c::createStub);
    }

    @Test
    void failStopRefusesToGoAndSaysWhy() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                "-Djna.tmpdir=" + System.getProperty("jna.tmpdir", System.getProperty("java.io.tmpdir")),
                "-cp", System.getProperty("java.class.path"), FailStopComponentProbe.class.getName());
        pb.redirectErrorStream(true);
        File out = File.createTempFile("tether-failstop", ".log", new File(System.getProperty("jna.tmpdir", "target")));
        out.deleteOnExit();
        pb.redirectOutput(out);
        Process p = pb.start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM did not finish");
        String text = Files.readString(out.toPath(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), text);
        assertTrue(text.contains("REFUSED: failureMode=contained: fail-stop mode"), text);
        assertTrue(text.contains("; running with failureMode=fail-stop, "), text);
        assertTrue(text.contains("STILL FAIL_STOP, stub alive true"), text);
        assertTrue(text.contains("DEACTIVATED, stub alive true"), text);
        assertTrue(text.contains("not torn down: fail-stop mode"), "the refusal is logged: " + text);
        String stubLine = text.lines().filter(l -> l.startsWith("STUB ")).findFirst().orElseThrow();
        assertTrue(text.contains("ORPHAN PIDS [" + stubLine.substring(5).trim() + "]"), "the next platform lists the stub: " + text);
        assertTrue(text.contains("ORPHANS 1 stub(s) (pids " + stubLine.substring(5).trim() + ") and 2 tracer thread(s) of 1"
                + " earlier fail-stop platform(s), kept until the JVM exits"), text);
        // the child's fail-stop stub ended with the child (PDEATHSIG); its pid is the probe's last line
        int pid = Integer.parseInt(text.lines().filter(l -> l.startsWith("STUB ")).findFirst().orElseThrow().substring(5).trim());
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (alive(pid) && System.nanoTime() < end) {
            Thread.sleep(20);
        }
        assertFalse(alive(pid), "the fail-stop stub " + pid + " ended with its JVM");
        out.delete();
    }

    private static boolean alive(int pid) {
        try {
            String st = Files.readString(Path.of("/proc/" + pid + "/status"));
            return !NoLeftoverProcesses.field(st, "State").startsWith("Z");
        } catch (java.io.IOException e) {
            return false;
        }
    }
}
