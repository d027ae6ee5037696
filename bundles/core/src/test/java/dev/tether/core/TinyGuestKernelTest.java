package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.api.FailureMode;
import dev.tether.guest.kernel.GuestRunner;
import dev.tether.guest.kernel.TinyElf;
import dev.tether.guest.kernel.spi.LinuxAbi;
import dev.tether.linux.Sys;
import dev.tether.seccomp.SyscallTable;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The smallest guest (TinyElf: the arch bundle's write + exit_group machine code in a one-segment ELF)
 * runs under MiniLinux on the ptrace GuestPlatform: what {@code tether demo} shows, and the arm64 check
 * runs (it needs no compiler).
 */
@ExtendWith(NoLeftoverProcesses.class)
class TinyGuestKernelTest {
    @TempDir
    Path dir;

    @Test
    void theTinyGuestWritesItsMessageAndExitsZeroWithEverySyscallInJava() throws Exception {
        StubPlatformImpl platform = TestArch.platform(new Settings(FailureMode.CONTAINED, 1, 2, 0));
        try {
            SyscallTable table = TestArch.table();
            LinuxAbi abi = TestArch.linuxAbi();
            byte[] image = TinyElf.hello(abi, "hello from a tiny guest\n", table.number("write").orElseThrow(),
                    table.number("exit_group").orElseThrow());
            Path program = Files.write(dir.resolve("tiny"), image);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream trace = new ByteArrayOutputStream();
            GuestRunner runner = new GuestRunner(new GuestPlatformImpl(platform, TestArch.guestArch()), table, abi,
                    platform.facts().stubAddress(), Sys.pageSize());
            GuestRunner.Outcome o = runner.run(new GuestRunner.Options(program, List.of("tiny"), List.of(), List.of(),
                    new ByteArrayInputStream(new byte[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(trace, true, StandardCharsets.UTF_8), new PrintStream(trace, true, StandardCharsets.UTF_8)));
            String t = trace.toString(StandardCharsets.UTF_8);
            assertEquals(0, o.status(), t);
            assertEquals("hello from a tiny guest\n", out.toString(StandardCharsets.UTF_8));
            assertTrue(t.contains("write(1, \"hello from a tiny guest\\n\", 24) = 24"), t);
            assertTrue(t.contains("exit_group(0)"), t);
        } finally {
            platform.close();
        }
    }
}
