package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.abi.Signals;
import dev.tether.api.FailureMode;
import dev.tether.api.PlatformClosedException;
import dev.tether.api.Subprocess;
import dev.tether.guest.FaultAccess;
import dev.tether.guest.GuestAddressSpace;
import dev.tether.guest.GuestContext;
import dev.tether.guest.GuestEvent;
import dev.tether.linux.Sys;
import dev.tether.spi.GuestArch;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Switch (PTRACE_SYSEMU) for real: guest code runs in a subprocess and every syscall it makes stops in
 * Java. The platform-neutral tests are {@link GuestSwitchContract}'s; these are ptrace's own (its fault
 * access guess, lazy FP state, CPUID faulting on and off).
 */
@ExtendWith(NoLeftoverProcesses.class)
class GuestSwitchKernelTest extends GuestSwitchContract {
    static StubPlatformImpl platform;

    @BeforeAll
    static void start() {
        platform = TestArch.platform(new Settings(FailureMode.CONTAINED, 2, 4, 0));
        guests = new GuestPlatformImpl(platform, guestArch());
        startThreads();
    }

    @AfterAll
    static void stop() {
        stopThreads();
        platform.close();
    }

    /** A platform that has never switched, so has not probed its FP regset yet. */
    @Override
    protected dev.tether.guest.GuestPlatform unswitchedGuests() {
        return new GuestPlatformImpl(platform, guestArch());
    }

    /** Ptrace's FP state is the probed regset's, of one size: any other is refused, also before the platform's first switch. */
    @Test
    void anFpStateOfAnotherSizeThanTheRegsetsIsRefusedBeforeAnySwitch() throws InterruptedException {
        try (GuestAddressSpace space = unswitchedGuests().newAddressSpace()) {
            GuestContext c = space.newContext();
            List<dev.tether.api.StubThreadInfo> threads = space.subprocess().threads();
            // read first by a thread that ends right after: had the probe given it a stub thread, its end
            // would kill the subprocess (PTRACE_O_EXITKILL)
            Thread reader = new Thread(c::floatingPointState, "short-lived reader");
            reader.start();
            reader.join();
            int size = c.floatingPointState().length;
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.setFloatingPointState(new byte[size + 16]));
            assertTrue(e.getMessage().contains(size + " bytes expected"), e.getMessage());
            // the probe ran on the subprocess's own first thread: no new stub thread, and the subprocess lives
            assertEquals(threads, space.subprocess().threads());
            assertTrue(space.subprocess().alive());
        }
    }

    @Test
    void theSameFaultAgainIsGuessedAWrite() {
        try (GuestAddressSpace space = guests.newAddressSpace()) {
            GuestContext c = load(space, new GuestCode().nullLoad());
            long ip = c.instructionPointer();
            GuestEvent e = c.switchTo();
            GuestEvent.Fault f = assertInstanceOf(GuestEvent.Fault.class, e, () -> "got " + e);
            assertEquals(Signals.SIGSEGV, f.signo());
            assertEquals(1, f.code(), "SEGV_MAPERR (include/uapi/asm-generic/siginfo.h)");
            assertEquals(0, f.address());
            assertTrue(f.ip() >= ip && f.ip() < ip + 8, "the IP is at the faulting load");
            assertEquals(FaultAccess.READ, f.access());
            // the same fault again: gVisor's guess says write
            GuestEvent.Fault again = assertInstanceOf(GuestEvent.Fault.class, c.switchTo());
            assertEquals(FaultAccess.WRITE, again.access());
        }
    }

    /**
     * A context that went to another Java thread's stub thread and back: the stub thread it left
     * still has the FP state of its first switch there, which the guest has changed since, so
     * the switch back must write the context's state again (the record of which state a stub
     * thread holds must not outlive the context's move).
     */
    @Test
    void aContextBackOnAStubThreadItLeftGetsItsNewFpState() throws Exception {
        long first = 0x1111_2222_3333_4444L;
        long second = 0x5555_6666_7777_8888L;
        try (GuestAddressSpace space = guests.newAddressSpace()) {
            GuestContext c = load(space, new GuestCode().arg0(first).arg0ToFp0().number(GuestCode.GETPID).syscall()
                    .arg0(second).arg0ToFp0().number(GuestCode.GETPID).syscall()
                    .fp0ToArg0().number(GuestCode.GETPID).syscall().spin());
            syscall(CompletableFuture.supplyAsync(c::switchTo, other1).get(10, TimeUnit.SECONDS));
            syscall(CompletableFuture.supplyAsync(c::switchTo, other2).get(10, TimeUnit.SECONDS));
            GuestEvent back = CompletableFuture.supplyAsync(c::switchTo, other1).get(10, TimeUnit.SECONDS);
            assertEquals(second, syscall(back).arg(0), "the guest's FP register after it moved back to its first stub thread");
        }
    }

    @Test
    void lazyFpStateIsCorrectOnTheSwitchingThread() {
        long value = 0x0123_4567_89ab_cdefL;
        try (GuestAddressSpace space = guests.newAddressSpace()) {
            GuestContext c = load(space, new GuestCode().arg0(value).arg0ToFp0().arg0(0).number(GuestCode.GETPID).syscall()
                    .fp0ToArg0().number(GuestCode.GETPID).syscall().fp0ToArg0().number(GuestCode.EXIT).syscall().spin());
            c.setLazyFloatingPoint(true);
            syscall(c.switchTo());
            assertEquals(value, syscall(c.switchTo()).arg(0), "the FP register survived the trapped syscall");
            byte[] fp = c.floatingPointState();
            assertEquals(value, ByteBuffer.wrap(fp).order(ByteOrder.LITTLE_ENDIAN).getLong(GuestCode.FP0_OFFSET));
            ByteBuffer.wrap(fp).order(ByteOrder.LITTLE_ENDIAN).putLong(GuestCode.FP0_OFFSET, 99);
            c.setFloatingPointState(fp);
            assertEquals(99, syscall(c.switchTo()).arg(0), "the guest sees the FP state Java set");
        }
    }

    @Test
    void lazyFpStateOfTwoContextsOnOneThreadStaysApart() {
        try (GuestAddressSpace space = guests.newAddressSpace()) {
            GuestContext a = load(space, new GuestCode().arg0(0xaaaa).arg0ToFp0().number(GuestCode.GETPID).syscall()
                    .fp0ToArg0().number(GuestCode.GETPID).syscall().spin());
            GuestContext b = load(space, new GuestCode().arg0(0xbbbb).arg0ToFp0().number(GuestCode.GETPID).syscall()
                    .fp0ToArg0().number(GuestCode.GETPID).syscall().spin());
            a.setLazyFloatingPoint(true);
            b.setLazyFloatingPoint(true);
            syscall(a.switchTo());
            syscall(b.switchTo()); // takes the stub thread that held a's state
            assertEquals(0xaaaa, syscall(a.switchTo()).arg(0), "a's lazy FP state was saved before b's was loaded");
            assertEquals(0xbbbb, syscall(b.switchTo()).arg(0));
        }
    }

    @Test
    void lazyFpStateHeldByAnotherThreadIsRefusedByNameUntilThatThreadReadsIt() throws Exception {
        long value = 0x4242_4242L;
        try (GuestAddressSpace space = guests.newAddressSpace()) {
            GuestContext c = load(space, new GuestCode().arg0(value).arg0ToFp0().arg0(0).number(GuestCode.GETPID).syscall()
                    .fp0ToArg0().number(GuestCode.GETPID).syscall().spin());
            c.setLazyFloatingPoint(true);
            syscall(CompletableFuture.supplyAsync(c::switchTo, other1).get(10, TimeUnit.SECONDS));
            IllegalStateException e = assertThrows(IllegalStateException.class, c::switchTo);
            assertTrue(e.getMessage().contains("guest-1"), e.getMessage());
            assertThrows(IllegalStateException.class, c::floatingPointState);
            CompletableFuture.supplyAsync(c::floatingPointState, other1).get(10, TimeUnit.SECONDS);
            assertEquals(value, syscall(c.switchTo()).arg(0), "the state read by its thread followed the context");
        }
    }

    @Test
    void cpuidTrapsToJavaOnlyWhenTheStubsHaveCpuidFaulting() {
        if (!GuestCode.AMD64) {
            assertEquals(0, guestArch().cpuidInstruction().length, "arm64 has no CPUID instruction to trap");
            return;
        }
        if (platform.facts().cpuidFaulting()) {
            try (GuestAddressSpace space = guests.newAddressSpace()) {
                GuestContext c = load(space, new GuestCode().cpuid().number(GuestCode.GETPID).syscall().spin());
                long ip = c.instructionPointer();
                GuestEvent e = c.switchTo();
                GuestEvent.CpuidFault f = assertInstanceOf(GuestEvent.CpuidFault.class, e, () -> "got " + e);
                assertEquals(ip + 5, f.ip(), "at the cpuid, after the mov");
            }
        } else {
            System.out.println("GuestSwitchKernelTest: this CPU has no cpuid_fault (/proc/cpuinfo): only the off case runs");
        }
        StubPlatformImpl off = TestArch.platform(new Settings(FailureMode.CONTAINED, 1, 2, 0).withCpuidFaulting(false));
        try {
            assertFalse(off.facts().cpuidFaulting());
            try (GuestAddressSpace space = new GuestPlatformImpl(off, guestArch()).newAddressSpace()) {
                GuestContext c = load(space, new GuestCode().cpuid().number(GuestCode.GETPID).syscall().spin());
                assertEquals(GuestCode.GETPID, syscall(c.switchTo()).number(), "cpuid ran in the guest, no trap");
            }
        } finally {
            off.close();
        }
    }

}
