package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.core.HostChecks.Finding;
import dev.tether.core.HostChecks.Level;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class HostChecksTest {
    private static final String WITH_PTRACE_CAP = "Name:\tjava\nCapEff:\t000001ffffffffff\nSeccomp:\t0\n";
    private static final String WITHOUT_CAPS = "Name:\tjava\nCapEff:\t0000000000000000\nSeccomp:\t2\n";

    private static Level worst(List<Finding> fs) {
        return fs.stream().map(Finding::level).max(Enum::compareTo).orElseThrow();
    }

    @Test
    void ptraceScopes() {
        assertEquals(Level.OK, worst(HostChecks.ptrace("", WITH_PTRACE_CAP, null)));
        assertEquals(Level.OK, worst(HostChecks.ptrace("1\n", WITHOUT_CAPS.replace("Seccomp:\t2", "Seccomp:\t0"), null)));
        assertEquals(Level.OK, worst(HostChecks.ptrace("2\n", WITH_PTRACE_CAP, "amd64")));
        assertEquals(Level.CRITICAL, worst(HostChecks.ptrace("2\n", WITHOUT_CAPS, null)));
        List<Finding> three = HostChecks.ptrace("3\n", WITH_PTRACE_CAP, null);
        assertEquals(Level.CRITICAL, worst(three));
        assertTrue(three.get(0).message().contains("ptrace_scope 3"), three.toString());
        List<Finding> filtered = HostChecks.ptrace("0", WITHOUT_CAPS, null);
        assertEquals(Level.WARN, worst(filtered), "a JVM under seccomp, no platform to prove ptrace works");
        assertTrue(HostChecks.ptrace("0", WITHOUT_CAPS, "arm64").stream()
                .anyMatch(f -> f.message().contains("arm64 platform's probe stub")));
    }

    @Test
    void seccompActions() {
        assertEquals(Level.OK, worst(HostChecks.seccomp(null, "kill_process kill_thread trap errno user_notif trace log allow\n")));
        List<Finding> old = HostChecks.seccomp(null, "kill trap errno trace allow");
        assertEquals(Level.CRITICAL, worst(old));
        assertTrue(old.get(0).message().contains("[kill_process, kill_thread]"), old.toString());
        assertEquals(Level.WARN, worst(HostChecks.seccomp(null, null)));
        List<Finding> none = HostChecks.seccomp("EINVAL", null);
        assertEquals(Level.CRITICAL, worst(none));
        assertTrue(none.get(0).message().contains("EINVAL"), none.toString());
    }

    /** A refused configuration: WARN while a platform runs (the defaults, or the old one), CRITICAL without one. */
    @Test
    void aRefusedConfigurationIsSaidWithItsWeight() {
        assertEquals(List.of(), HostChecks.configuration(null, true));
        List<Finding> running = HostChecks.configuration("tracerThreads=0: must be 1..64; running with the defaults", true);
        assertEquals(Level.WARN, worst(running));
        assertEquals("configuration refused: tracerThreads=0: must be 1..64; running with the defaults", running.get(0).message());
        assertEquals(Level.CRITICAL, worst(HostChecks.configuration("tracerThreads=0: must be 1..64", false)));
    }

    @Test
    void archAndPlatform() {
        assertEquals(Level.CRITICAL, worst(HostChecks.arch(Map.of(), null, null, null)));
        Map<String, Set<String>> complete = Map.of("amd64", HostChecks.ARCH_SERVICES);
        assertEquals(Level.OK, worst(HostChecks.arch(complete, "amd64", null, null)));
        List<Finding> failed = HostChecks.arch(complete, null, "seccomp is not available", null);
        assertEquals(Level.CRITICAL, worst(failed));
        assertTrue(failed.stream().anyMatch(f -> f.message().contains("seccomp is not available")), failed.toString());
        assertEquals(Level.CRITICAL, worst(HostChecks.arch(Map.of("amd64", Set.of("dev.tether.spi.RegisterLayout")), null, null, null)));
        assertEquals(Level.WARN, worst(HostChecks.arch(complete, "amd64", null, "fail-stop mode: ...")));
    }

    @Test
    void capabilities() {
        assertTrue(HostChecks.hasCapability("0000000000080000", HostChecks.CAP_SYS_PTRACE));
        assertEquals(false, HostChecks.hasCapability("0000000000000000", HostChecks.CAP_SYS_PTRACE));
        assertEquals(false, HostChecks.hasCapability("", HostChecks.CAP_SYS_PTRACE));
    }
}
