package dev.tether.guest.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.guest.GuestEvent;
import dev.tether.guest.kernel.testing.FakeGuestPlatform;
import dev.tether.guest.kernel.testing.HostSyscallTable;
import dev.tether.guest.kernel.testing.ScriptedGuestContext;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GuestRunner.run from the program file to the exit status, on a fake platform whose guest "runs" a
 * script: the program is really loaded (through the Subprocess memory operations), the context gets the
 * entry registers, and the scripted guest writes its own argv[1], read from the stack the loader built.
 */
class GuestRunnerTest {
    @TempDir
    static Path dir;

    static ScriptedGuestContext host() {
        return HostSyscallTable.hostArch().equals("amd64") ? ScriptedGuestContext.amd64() : ScriptedGuestContext.arm64();
    }

    /** write(1, argv[1], strlen) as a program would, with argv[1] found from the stack pointer. */
    static GuestEvent writeArgv1(ScriptedGuestContext c, FakeGuestPlatform p, int length) {
        long sp = c.stackPointer();
        byte[] word = p.spaces.get(0).memory.peek(sp + 16, 8); // argc, argv[0], argv[1]
        long argv1 = java.nio.ByteBuffer.wrap(word).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        return new GuestEvent.Syscall(KernelFixture.nr("write"), new long[] {1, argv1, length, 0, 0, 0});
    }

    @Test
    void loadsRunsAndClosesTheAddressSpace() throws Exception {
        Path prog = GccPrograms.build(dir, "hello", GccPrograms.HELLO, "-static");
        FakeGuestPlatform[] platform = new FakeGuestPlatform[1];
        long[] entry = new long[1];
        platform[0] = new FakeGuestPlatform(HostSyscallTable.hostArch(), () -> host()
                .then(c -> {
                    entry[0] = c.instructionPointer();
                    return writeArgv1(c, platform[0], 5);
                })
                .then(new GuestEvent.Syscall(KernelFixture.nr("socket"), new long[6]))
                .then(new GuestEvent.Syscall(KernelFixture.nr("exit_group"), new long[] {4, 0, 0, 0, 0, 0})));
        GuestRunner runner = new GuestRunner(platform[0], KernelFixture.TABLE, KernelFixture.TABLE_ABI, 0x7fff_ffff_e000L, 4096);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream trace = new ByteArrayOutputStream();
        GuestRunner.Outcome o = runner.run(new GuestRunner.Options(prog, List.of("hello", "guest"), List.of("A=B"), List.of(),
                new ByteArrayInputStream(new byte[0]), new PrintStream(out, true, StandardCharsets.UTF_8), System.err,
                new PrintStream(trace, true, StandardCharsets.UTF_8)));
        assertEquals(4, o.status());
        assertEquals(Map.of("socket", 1), o.unknownSyscalls());
        assertEquals("guest", out.toString(StandardCharsets.UTF_8));
        assertEquals(ElfFile.parse("x", java.nio.file.Files.readAllBytes(prog)).entry(), entry[0]);
        assertTrue(trace.toString(StandardCharsets.UTF_8).startsWith("write(1, \"guest\", 5) = 5\n"), trace.toString());
        assertTrue(platform[0].spaces.get(0).closed, "the address space is closed after the run");
    }

    @Test
    void aProgramThatCannotLoadLeavesNothingOpen() throws Exception {
        Path dyn = GccPrograms.build(dir, "dyn", GccPrograms.HELLO);
        FakeGuestPlatform platform = new FakeGuestPlatform(HostSyscallTable.hostArch(), GuestRunnerTest::host);
        GuestRunner runner = new GuestRunner(platform, KernelFixture.TABLE, KernelFixture.TABLE_ABI, 0x7fff_ffff_e000L, 4096);
        GuestLoadException e = assertThrows(GuestLoadException.class, () -> runner.run(GuestRunner.Options.of(dyn)));
        assertTrue(e.getMessage().contains("dynamically linked"), e.getMessage());
        assertTrue(platform.spaces.get(0).closed);
        GuestLoadException missing = assertThrows(GuestLoadException.class,
                () -> runner.run(GuestRunner.Options.of(dir.resolve("missing"))));
        assertTrue(missing.getMessage().contains("cannot read the program"), missing.getMessage());
        assertEquals(1, platform.spaces.size(), "nothing was made for a program that cannot be read");
        IllegalArgumentException arch = assertThrows(IllegalArgumentException.class, () -> new GuestRunner(
                new FakeGuestPlatform("sparc", GuestRunnerTest::host), KernelFixture.TABLE, KernelFixture.TABLE_ABI, 0, 4096));
        assertTrue(arch.getMessage().contains("sparc"));
    }
}
