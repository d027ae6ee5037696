package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.abi.Errno;
import dev.tether.abi.Ptrace;
import dev.tether.api.FailureMode;
import dev.tether.api.Subprocess;
import dev.tether.guest.GuestAddressSpace;
import dev.tether.guest.GuestContext;
import dev.tether.guest.GuestEvent;
import dev.tether.linux.ExecutableCode;
import dev.tether.linux.LinuxException;
import dev.tether.linux.NativeMemory;
import dev.tether.linux.Sys;
import dev.tether.seccomp.SyscallTable;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The ptrace round trip ({@link RoundTrip}) in the arch's machine code and call by call
 * ({@code -Dtether.roundTrip=calls}): the same results, the same errors, and the code never run
 * once closed.
 */
@ExtendWith(NoLeftoverProcesses.class)
class RoundTripKernelTest {
    static StubPlatformImpl withCode;
    static StubPlatformImpl byCalls;
    static final SyscallTable TABLE = TestArch.table();

    @BeforeAll
    static void start() {
        withCode = TestArch.platform(new Settings(FailureMode.CONTAINED, 1, 0, 0));
        System.setProperty(StubImage.ROUND_TRIP_PROPERTY, "calls");
        try {
            byCalls = TestArch.platform(new Settings(FailureMode.CONTAINED, 1, 0, 0));
        } finally {
            System.clearProperty(StubImage.ROUND_TRIP_PROPERTY);
        }
    }

    @AfterAll
    static void stop() {
        withCode.close();
        byCalls.close();
    }

    private static long nr(String name) {
        return TABLE.number(name).orElseThrow();
    }

    @Test
    void thePlatformsMakeTheirRoundTripsAsConfigured() {
        SubprocessImpl a = (SubprocessImpl) withCode.forkSubprocess();
        SubprocessImpl b = (SubprocessImpl) byCalls.forkSubprocess();
        try {
            assertNotNull(a.first.regs.roundTrip, "the arch's round trip code is mapped by default");
            assertNull(b.first.regs.roundTrip, "-Dtether.roundTrip=calls: call by call");
        } finally {
            a.destroy();
            b.destroy();
        }
    }

    /** Injections through the caller's stub thread (a round trip) and the owner's (call by call, a leader). */
    private static List<Long> injections(StubPlatformImpl p) {
        Subprocess sp = p.forkSubprocess();
        try {
            List<Long> out = new ArrayList<>();
            out.add(sp.syscall(nr("getpid")) - sp.pid()); // 0
            out.add(sp.syscall(nr("munmap"), 1, 4096)); // -EINVAL: not page-aligned
            long at = sp.syscall(nr("mmap"), 0, 4096, 3, 0x22, -1, 0); // PROT_READ|WRITE, MAP_PRIVATE|ANONYMOUS
            out.add(at > 0 && at % 4096 == 0 ? 1L : at);
            out.add(sp.syscall(nr("munmap"), at, 4096)); // 0
            byte[] data = {1, 2, 3, 4, 5, 6, 7, 8};
            long page = sp.mapAnonymous(0, 4096, 3);
            sp.write(page, data, 0, data.length);
            byte[] back = new byte[8];
            sp.read(page, back, 0, 8);
            assertArrayEquals(data, back);
            out.add(sp.registers().size() > 0 ? 1L : 0L); // GETREGSET of the whole set on the caller's thread
            return out;
        } finally {
            sp.destroy();
        }
    }

    @Test
    void injectionsGiveTheSameResultsBothWays() {
        List<Long> code = injections(withCode);
        List<Long> calls = injections(byCalls);
        assertEquals(List.of(0L, -22L /* -EINVAL (include/uapi/asm-generic/errno-base.h) */, 1L, 0L, 1L), code);
        assertEquals(code, calls);
    }

    /** A guest that makes getpid(0x1234), gets 777, puts it in FP register 0, and makes exit(fp0). */
    private static List<Object> guestRun(StubPlatformImpl p, boolean lazyFp) {
        GuestPlatformImpl guests = new GuestPlatformImpl(p, TestArch.guestArch());
        try (GuestAddressSpace space = guests.newAddressSpace()) {
            GuestContext c = GuestSwitchKernelTest.load(space, new GuestCode().number(GuestCode.GETPID).arg0(0x1234).syscall()
                    .resultToArg0().arg0ToFp0().arg0(0).fp0ToArg0().number(GuestCode.EXIT).syscall().spin());
            c.setLazyFloatingPoint(lazyFp);
            long text = c.instructionPointer();
            List<Object> out = new ArrayList<>();
            GuestEvent.Syscall first = GuestSwitchKernelTest.syscall(c.switchTo());
            out.add(first.number());
            out.add(first.arg(0));
            out.add(c.instructionPointer() - text);
            c.setSyscallResult(777);
            GuestEvent.Syscall second = GuestSwitchKernelTest.syscall(c.switchTo());
            out.add(second.number());
            out.add(second.arg(0));
            out.add(c.instructionPointer() - text);
            byte[] fp = c.floatingPointState();
            out.add(fp.length);
            out.add(java.util.HexFormat.of().formatHex(fp, 0, Math.min(fp.length, 512)));
            return out;
        }
    }

    @Test
    void guestSwitchesGiveTheSameEventsAndStateBothWays() {
        for (boolean lazy : new boolean[] {true, false}) {
            List<Object> code = guestRun(withCode, lazy);
            List<Object> calls = guestRun(byCalls, lazy);
            assertEquals((long) GuestCode.GETPID, code.get(0));
            assertEquals(0x1234L, code.get(1));
            assertEquals((long) GuestCode.EXIT, code.get(3));
            assertEquals(777L, code.get(4), "the result went through FP register 0 and back");
            assertEquals(code, calls, "lazy FP " + lazy);
        }
    }

    @Test
    void aFailedCallIsTheSameErrorBothWays() {
        // No one may ptrace the calling thread itself: every request on it fails with ESRCH.
        int self = Sys.gettid();
        try (ExecutableCode code = ExecutableCode.map(TestArch.program().ptraceRoundTrip().orElseThrow().code());
                NativeMemory buf = NativeMemory.allocate(512)) {
            for (boolean withSet : new boolean[] {true, false}) {
                LinuxException a = assertThrows(LinuxException.class, () -> trip(self, withSet, buf).run(code));
                LinuxException b = assertThrows(LinuxException.class, () -> trip(self, withSet, buf).run(null));
                assertEquals(Errno.ESRCH, a.errno());
                assertEquals(withSet ? "ptrace(PTRACE_SETREGSET, " + self + ")" : "ptrace(PTRACE_CONT, " + self + ")", a.call());
                assertEquals(b.call(), a.call());
                assertEquals(b.errno(), a.errno());
            }
        }
    }

    private static RoundTrip trip(int tid, boolean withSet, NativeMemory buf) {
        RoundTrip r = RoundTrip.begin(tid, Ptrace.PTRACE_CONT, StopWaiter.WAIT_OPTIONS, true, true);
        if (withSet) {
            r.set(Ptrace.NT_PRSTATUS, buf, 8);
        }
        return r.get(Ptrace.NT_PRSTATUS, buf, 8);
    }

    @Test
    void closedCodeIsNeverRunAgain() {
        int self = Sys.gettid();
        ExecutableCode code = ExecutableCode.map(TestArch.program().ptraceRoundTrip().orElseThrow().code());
        code.close();
        code.close(); // idempotent
        assertTrue(code.isClosed());
        try (NativeMemory buf = NativeMemory.allocate(64)) {
            // Unmapped: were it called, the JVM would die of SIGSEGV. It falls back to the calls.
            LinuxException e = assertThrows(LinuxException.class, () -> trip(self, true, buf).run(code));
            assertEquals(Errno.ESRCH, e.errno());
            assertTrue(!code.call(buf), "a closed code refuses calls");
        }
    }

    @Test
    void theBlockTakesOnlyBuffersItCanCheck() {
        try (NativeMemory buf = NativeMemory.allocate(64)) {
            RoundTrip r = RoundTrip.begin(1, Ptrace.PTRACE_CONT, StopWaiter.WAIT_OPTIONS, false, false);
            IllegalArgumentException big = assertThrows(IllegalArgumentException.class, () -> r.set(Ptrace.NT_PRSTATUS, buf, 65));
            assertTrue(big.getMessage().contains("65"), big.getMessage());
            assertThrows(IllegalArgumentException.class, () -> r.set(Ptrace.NT_PRSTATUS, buf, 0));
            r.get(Ptrace.NT_PRSTATUS, buf, 64);
            assertInstanceOf(IllegalStateException.class, assertThrows(RuntimeException.class,
                    () -> r.set(Ptrace.NT_PRSTATUS, buf, 8)), "a set after a get");
            for (int i = 1; i < RoundTrip.MAX_ENTRIES; i++) {
                r.get(Ptrace.NT_PRSTATUS, buf, 8);
            }
            assertThrows(IllegalStateException.class, () -> r.get(Ptrace.NT_PRSTATUS, buf, 8), "more entries than the block holds");
        }
    }
}
