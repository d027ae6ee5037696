package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tether.abi.Clone;
import dev.tether.abi.Signals;
import dev.tether.api.Stub;
import dev.tether.api.StubDiedException;
import dev.tether.seccomp.Action;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * kill's rule in the stub filter, enforced by the kernel: SIGSTOP to one process is allowed (the
 * stub stops itself so), to a process group or to a pid with high bits set is a seccomp kill.
 * Every target here is a throw-away stub of the test's own, so a regression could only stop that
 * one: kill(-1, SIGSTOP), which would stop every process of this uid, is checked by the seccomp
 * bundle's interpreter tests instead, never by a real call.
 */
@ExtendWith(NoLeftoverProcesses.class)
class StubKillTargetKernelTest {
    static StubPlatformImpl platform;

    @BeforeAll
    static void start() {
        platform = TestArch.platform(Settings.defaults());
    }

    @AfterAll
    static void stop() {
        platform.close();
    }

    /** A stub cloned with exit signal 0, whose death spares the JVM. */
    static Stub throwAway() {
        return platform.attachedThread(Clone.CLONE_FILES, Action.KILL_THREAD);
    }

    @Test
    void oneProcessMayBeStoppedAndTheTracerCopesWithTheStop() {
        try (Stub sender = throwAway(); Stub victim = throwAway()) {
            assertEquals(0, sender.syscall("kill", victim.pid(), Signals.SIGSTOP));
            // the victim is traced: the SIGSTOP is a signal-delivery stop its tracer passes over
            assertEquals(victim.pid(), victim.syscall("getpid"));
            assertEquals(sender.pid(), sender.syscall("getpid"));
        }
    }

    @Test
    void aProcessGroupOrATruncatedPidIsASeccompKill() {
        try (Stub victim = throwAway()) {
            // The victim leads its own group (the trampoline's setsid): -pid is that group.
            long[] targets = {-victim.pid(), 0x100000000L + victim.pid()};
            for (long target : targets) {
                Stub sender = throwAway();
                StubDiedException e = assertThrows(StubDiedException.class,
                        () -> sender.syscall("kill", target, Signals.SIGSTOP), "kill(0x" + Long.toHexString(target) + ")");
                assertEquals(Signals.SIGSYS, e.termSignal(), e.getMessage());
                sender.close();
            }
            assertEquals(victim.pid(), victim.syscall("getpid"));
        }
    }
}
