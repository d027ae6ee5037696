package dev.tether.guest.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.guest.FaultAccess;
import dev.tether.guest.GuestEvent;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The run loop over scripted events: results go to the guest, fatal events end it with a shell's status. */
class GuestRunnerDriveTest {
    final KernelFixture k = new KernelFixture(List.of());
    final ByteArrayOutputStream diag = new ByteArrayOutputStream();
    final ByteArrayOutputStream trace = new ByteArrayOutputStream();

    private GuestEvent.Syscall sys(String name, long... args) {
        long[] six = new long[6];
        System.arraycopy(args, 0, six, 0, args.length);
        return new GuestEvent.Syscall(KernelFixture.nr(name), six);
    }

    private int drive(boolean traced) {
        return GuestRunner.drive(k.task, k.kernel, traced ? new SyscallTracer(KernelFixture.TABLE, k.abi) : null,
                new PrintStream(trace, true, StandardCharsets.UTF_8), new PrintStream(diag, true, StandardCharsets.UTF_8));
    }

    private String diag() {
        return diag.toString(StandardCharsets.UTF_8);
    }

    @Test
    void syscallResultsReachTheGuestUntilExitGroup() {
        long msg = k.string("hi\n");
        k.context.then(sys("getpid")).then(sys("write", 1, msg, 3)).then(sys("socket", 2, 1, 0)).then(sys("exit_group", 7));
        assertEquals(7, drive(true));
        assertEquals(List.of(1L, 3L, (long) -Linux.ENOSYS), k.context.results());
        assertEquals("hi\n", k.stdout());
        assertEquals("getpid() = 1\nwrite(1, \"hi\\n\", 3) = 3\nsocket(0x2, 0x1, 0x0, 0x0, 0x0, 0x0) = -1 ENOSYS\n"
                + "exit_group(7) = ?\n+++ exited with 7 +++\n", trace.toString(StandardCharsets.UTF_8));
        assertEquals("", diag());
    }

    @Test
    void aFaultEndsTheGuestWith128PlusTheSignalAndOneLine() {
        k.context.then(new GuestEvent.Fault(11, 1, 0, 0x401136, FaultAccess.READ));
        assertEquals(139, drive(false));
        assertEquals("tether: guest killed by SIGSEGV (si_code 1) at address 0x0, ip 0x401136\n", diag());
    }

    @Test
    void interruptsSignalsAndDeathsFromOutside() {
        k.context.then(new GuestEvent.Interrupted());
        assertEquals(130, drive(false));
        assertTrue(diag().startsWith("tether: guest interrupted at ip 0x"), diag());
        k.context.then(new GuestEvent.Signal(31, 1, new byte[128]));
        assertEquals(128 + 31, drive(false));
        k.context.then(new GuestEvent.Exited(9, "killed by SIGKILL"));
        assertEquals(137, drive(false));
        assertTrue(diag().contains("killed by SIGKILL"));
        k.context.then(new GuestEvent.Exited(3 << 8, "exited with 3"));
        assertEquals(3, drive(false));
    }

    @Test
    void cpuidWithoutEmulationIsFatal() {
        k.context.then(new GuestEvent.CpuidFault(0x401000));
        assertEquals(128 + 4, drive(false), "SimpleAbi emulates no CPUID: SIGILL");
        assertTrue(diag().contains("CPUID at ip 0x401000"), diag());
    }
}
