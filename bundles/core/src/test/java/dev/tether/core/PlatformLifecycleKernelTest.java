package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.abi.Clone;
import dev.tether.abi.Signals;
import dev.tether.api.FailureMode;
import dev.tether.api.PlatformClosedException;
import dev.tether.api.Stub;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Closing a platform tears everything down; fail-stop refuses to. */
@ExtendWith(NoLeftoverProcesses.class)
class PlatformLifecycleKernelTest {
    @Test
    void closingThePlatformKillsEveryStub() throws Exception {
        StubPlatformImpl p = TestArch.platform(new Settings(FailureMode.CONTAINED, 3));
        List<Stub> stubs = List.of(p.createStub(), p.createStub(), p.createStub(), p.createStub());
        p.close();
        for (Stub s : stubs) {
            assertFalse(Files.exists(Path.of("/proc/" + s.pid())), "stub " + s.pid() + " survived close");
            assertFalse(s.alive());
            assertThrows(PlatformClosedException.class, () -> s.syscall("getpid"));
        }
        assertThrows(PlatformClosedException.class, p::createStub);
        assertTrue(NoLeftoverProcesses.leftovers().isEmpty());
        p.close(); // idempotent
    }

    @Test
    void containedStubsUseExitSignalZero() throws Exception {
        try (StubPlatformImpl p = TestArch.platform(Settings.defaults())) {
            assertEquals(Clone.CLONE_FILES, p.processCloneFlags());
        }
    }

    @Test
    void failStopRefusesToTearDownWhatWouldKillTheJvm() throws Exception {
        StubPlatformImpl p = TestArch.platform(new Settings(FailureMode.FAIL_STOP, 1));
        assertEquals(Clone.CLONE_FILES | Signals.SIGKILL, p.processCloneFlags());
        // A throw-away stub with a harmless exit signal can still be torn down in fail-stop mode.
        Stub spare = p.attachedThread(Clone.CLONE_FILES, p.stubPolicy(dev.tether.seccomp.Action.KILL_THREAD).defaultAction());
        assertEquals(spare.pid(), spare.syscall("getpid"));
        spare.close();
        // With no fail-stop stub alive, the platform closes normally. (Creating a real fail-stop
        // stub here would tie its life to this test JVM: that mode is tested in a child JVM.)
        p.close();
        assertThrows(PlatformClosedException.class, p::createStub);
    }

    @Test
    void mismatchedArchServicesAreRefused() {
        var table = new dev.tether.seccomp.SyscallTable() {
            public String arch() { return "m68k"; }
            public int auditArch() { return 4; }
            public java.util.OptionalInt number(String name) { return java.util.OptionalInt.empty(); }
            public java.util.Optional<String> name(int nr) { return java.util.Optional.empty(); }
            public java.util.Map<String, Integer> all() { return java.util.Map.of(); }
            public String source() { return "test"; }
        };
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
                new StubPlatformImpl(TestArch.layout(), TestArch.program(), table, TestArch.contribution(), Settings.defaults()));
        assertTrue(e.getMessage().contains("m68k"), e.getMessage());
    }

    @Test
    void badSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Settings(FailureMode.CONTAINED, 0));
        assertThrows(IllegalArgumentException.class, () -> new Settings(null, 1));
    }
}
