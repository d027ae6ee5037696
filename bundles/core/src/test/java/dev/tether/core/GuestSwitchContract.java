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

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The guest switch contract: what every {@link dev.tether.guest.GuestPlatform} must do, run against each
 * (core's ptrace platform: {@link GuestSwitchKernelTest}; the trap bundle's: its TrapSwitchKernelTest,
 * through this module's test-jar). A subclass sets {@link #guests} in its {@code @BeforeAll}.
 */
@ExtendWith(NoLeftoverProcesses.class)
public abstract class GuestSwitchContract {
    /** The platform under test. */
    protected static dev.tether.guest.GuestPlatform guests;
    /**
     * Threads that switch beside the test thread. They live as long as the test class: a Java thread
     * that used a subprocess must outlive it (its stub threads there are killed with it,
     * PTRACE_O_EXITKILL, and so is the subprocess: README, "Failure modes").
     */
    static java.util.concurrent.ExecutorService other1;
    static java.util.concurrent.ExecutorService other2;
    static final int PAGE = 4096;

    /** Starts the helper threads (a subclass's {@code @BeforeAll} calls it after setting {@link #guests}). */
    protected static void startThreads() {
        other1 = java.util.concurrent.Executors.newSingleThreadExecutor(r -> new Thread(r, "guest-1"));
        other2 = java.util.concurrent.Executors.newSingleThreadExecutor(r -> new Thread(r, "guest-2"));
    }

    protected static void stopThreads() {
        other1.shutdown();
        other2.shutdown();
    }

    protected static GuestArch guestArch() {
        return TestArch.guestArch();
    }

    /** A context whose IP is at {@code code} (loaded into a fresh RWX page) and SP at the top of a fresh stack page. */
    protected static GuestContext load(GuestAddressSpace space, GuestCode code) {
        Subprocess sp = space.subprocess();
        long text = sp.mapAnonymous(0, PAGE, 7); // PROT_READ | PROT_WRITE | PROT_EXEC
        long stack = sp.mapAnonymous(0, PAGE, 3);
        byte[] b = code.bytes();
        sp.write(text, b, 0, b.length);
        GuestContext c = space.newContext();
        c.setInstructionPointer(text);
        c.setStackPointer(stack + PAGE - 64);
        return c;
    }

    protected static GuestEvent.Syscall syscall(GuestEvent e) {
        return assertInstanceOf(GuestEvent.Syscall.class, e, () -> "expected a syscall event, got " + e);
    }

    @Test
    void everySyscallStopsInJavaAndTheResultIsWhatJavaSet() {
        try (GuestAddressSpace space = guests.newAddressSpace()) {
            GuestContext c = load(space, new GuestCode().number(GuestCode.GETPID).arg0(0x1234).syscall()
                    .resultToArg0().number(GuestCode.EXIT).syscall().spin());
            long textIp = c.instructionPointer();
            GuestEvent.Syscall first = syscall(c.switchTo());
            assertEquals(GuestCode.GETPID, first.number());
            assertEquals(0x1234, first.arg(0));
            assertTrue(c.instructionPointer() > textIp, "the IP is after the syscall instruction");
            c.setSyscallResult(777);
            GuestEvent.Syscall second = syscall(c.switchTo());
            assertEquals(GuestCode.EXIT, second.number(), "the guest's exit did not run: it stopped in Java");
            assertEquals(777, second.arg(0), "the guest saw the result Java set, not the host's getpid");
            assertTrue(space.subprocess().alive(), "exit was emulated, not run: the subprocess lives");
        }
    }

    @Test
    void aNullLoadIsAReadFaultAtTheInstruction() {
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
        }
    }

    @Test
    void aBreakpointIsATrapFault() {
        try (GuestAddressSpace space = guests.newAddressSpace()) {
            GuestContext c = load(space, new GuestCode().breakpoint().spin());
            GuestEvent e = c.switchTo();
            GuestEvent.Fault f = assertInstanceOf(GuestEvent.Fault.class, e, () -> "got " + e);
            assertEquals(Signals.SIGTRAP, f.signo());
        }
    }

    @Test
    void aSpinningGuestIsInterruptedFromAnotherThread() throws Exception {
        try (GuestAddressSpace space = guests.newAddressSpace()) {
            GuestContext c = load(space, new GuestCode().spin());
            CompletableFuture<GuestEvent> ev = CompletableFuture.supplyAsync(c::switchTo, other1);
            Thread.sleep(50);
            assertFalse(ev.isDone(), "the guest spins");
            c.interrupt();
            assertInstanceOf(GuestEvent.Interrupted.class, ev.get(10, TimeUnit.SECONDS));
            // an interrupt while nothing runs is honoured by the next switch at once
            c.interrupt();
            assertInstanceOf(GuestEvent.Interrupted.class, c.switchTo());
        }
    }

    @Test
    void fpRegistersSurviveSyscallsAndJavaCanChangeThem() {
        long value = 0x1122_3344_5566_7788L;
        try (GuestAddressSpace space = guests.newAddressSpace()) {
            GuestContext c = load(space, new GuestCode().arg0(value).arg0ToFp0().arg0(0).number(GuestCode.GETPID).syscall()
                    .fp0ToArg0().number(GuestCode.GETPID).syscall().fp0ToArg0().number(GuestCode.EXIT).syscall().spin());
            syscall(c.switchTo());
            byte[] fp = c.floatingPointState();
            assertEquals(value, ByteBuffer.wrap(fp).order(ByteOrder.LITTLE_ENDIAN).getLong(GuestCode.FP0_OFFSET),
                    "Java reads the guest's FP register at the stop");
            GuestEvent.Syscall second = syscall(c.switchTo());
            assertEquals(value, second.arg(0), "the FP register survived the trapped syscall");
            ByteBuffer.wrap(fp).order(ByteOrder.LITTLE_ENDIAN).putLong(GuestCode.FP0_OFFSET, 42);
            c.setFloatingPointState(fp);
            GuestEvent.Syscall third = syscall(c.switchTo());
            assertEquals(42, third.arg(0), "the guest sees the FP state Java set");
        }
    }

    /**
     * The platform under test as it is before any of its contexts switched (a platform that
     * learns something at its first switch returns a new one of itself); {@link #guests} by default.
     */
    protected dev.tether.guest.GuestPlatform unswitchedGuests() {
        return guests;
    }

    /**
     * Before its first switch, and before its platform's, a context shows the FP state that switch
     * loads, takes a change to it, and refuses one too short when it is set. Ptrace's once answered
     * an empty array and took any size until the platform's first switch (and its fresh XSAVE image
     * said it held no SSE state, so the kernel dropped a change to XMM0).
     */
    @Test
    void beforeItsFirstSwitchAContextShowsAndTakesItsFpState() {
        try (GuestAddressSpace space = unswitchedGuests().newAddressSpace()) {
            GuestContext c = load(space, new GuestCode().fp0ToArg0().number(GuestCode.GETPID).syscall().spin());
            byte[] fp = c.floatingPointState();
            assertTrue(fp.length >= 512, "the FP state's bytes (FXSAVE is 512, FPSIMD 528), got " + fp.length);
            assertThrows(IllegalArgumentException.class, () -> c.setFloatingPointState(new byte[fp.length - 16]));
            ByteBuffer.wrap(fp).order(ByteOrder.LITTLE_ENDIAN).putLong(GuestCode.FP0_OFFSET, 0x6655_4433_2211L);
            c.setFloatingPointState(fp);
            assertEquals(0x6655_4433_2211L, syscall(c.switchTo()).arg(0), "the guest sees the FP state set before its first switch");
            assertEquals(0x6655_4433_2211L, ByteBuffer.wrap(c.floatingPointState()).order(ByteOrder.LITTLE_ENDIAN)
                    .getLong(GuestCode.FP0_OFFSET), "and Java reads it back at the stop");
        }
    }

    /**
     * A thread pointer the kernel refuses (amd64: PTRACE_SETREGS answers EIO for an {@code fs_base}
     * at or above TASK_SIZE_MAX, arch/x86/kernel/ptrace.c putreg) fails the switch with a typed
     * error, as often as it is tried, and the context goes on once Java fixes it; the trap platform
     * once refused every later switch of it. arm64's TPIDR_EL0 takes any value, which the guest keeps.
     */
    @Test
    void aThreadPointerTheKernelRefusesFailsTheSwitchUntilJavaFixesIt() {
        long bad = 1L << 63;
        try (GuestAddressSpace space = guests.newAddressSpace()) {
            GuestContext c = load(space, new GuestCode().number(GuestCode.GETPID).syscall().number(GuestCode.GETPID).syscall().spin());
            c.setTls(bad);
            if (GuestCode.AMD64) {
                for (int i = 0; i < 2; i++) {
                    dev.tether.api.SyscallFailedException e = assertThrows(dev.tether.api.SyscallFailedException.class, c::switchTo);
                    assertEquals(dev.tether.abi.Errno.EIO, e.errno(), e.getMessage());
                    assertTrue(e.getMessage().contains("the kernel refuses one of their values"), e.getMessage());
                }
                c.setTls(0x1000);
                assertEquals(GuestCode.GETPID, syscall(c.switchTo()).number(), "the context goes on");
                assertEquals(0x1000, c.tls());
            } else {
                assertEquals(GuestCode.GETPID, syscall(c.switchTo()).number());
                assertEquals(bad, c.tls());
            }
            assertEquals(GuestCode.GETPID, syscall(c.switchTo()).number());
        }
    }

    @Test
    void aFreshContextStartsWithAFreshFpStateNotTheStubThreads() {
        try (GuestAddressSpace space = guests.newAddressSpace()) {
            GuestContext dirty = load(space, new GuestCode().arg0(0x55aa).arg0ToFp0().number(GuestCode.GETPID).syscall().spin());
            syscall(dirty.switchTo());
            GuestContext fresh = load(space, new GuestCode().fp0ToArg0().number(GuestCode.GETPID).syscall().spin());
            assertEquals(0, syscall(fresh.switchTo()).arg(0), "another context's FP value leaked into a new one");
        }
    }

    @Test
    void aContextMovesBetweenJavaThreadsWithItsState() throws Exception {
        long value = 0x0bad_cafe_f00dL;
        try (GuestAddressSpace space = guests.newAddressSpace()) {
            GuestContext c = load(space, new GuestCode().arg0(value).arg0ToFp0().arg0(0).number(GuestCode.GETPID).syscall()
                    .fp0ToArg0().number(GuestCode.GETPID).syscall().spin());
            syscall(c.switchTo());
            GuestEvent e = CompletableFuture.supplyAsync(c::switchTo, other2).get(10, TimeUnit.SECONDS);
            assertEquals(value, syscall(e).arg(0), "the FP register followed the context to another thread's stub thread");
        }
    }

    @Test
    void singleSteppingStopsAfterOneInstruction() {
        try (GuestAddressSpace space = guests.newAddressSpace()) {
            GuestContext c = load(space, new GuestCode().nop().nop().number(GuestCode.GETPID).syscall().spin());
            long start = c.instructionPointer();
            c.setSingleStep(true);
            GuestEvent e = c.switchTo();
            GuestEvent.Fault f = assertInstanceOf(GuestEvent.Fault.class, e, () -> "got " + e);
            assertEquals(Signals.SIGTRAP, f.signo());
            assertEquals(start + GuestCode.NOP_LENGTH, c.instructionPointer(), "one instruction ran");
            c.setSingleStep(false);
            assertEquals(GuestCode.GETPID, syscall(c.switchTo()).number(), "without single-stepping it runs on to the syscall");
        }
    }

    @Test
    void anUndefinedInstructionIsAnIllegalInstructionFault() {
        try (GuestAddressSpace space = guests.newAddressSpace()) {
            GuestContext c = load(space, new GuestCode().undefined().spin());
            long ip = c.instructionPointer();
            GuestEvent e = c.switchTo();
            GuestEvent.Fault f = assertInstanceOf(GuestEvent.Fault.class, e, () -> "got " + e);
            assertEquals(Signals.SIGILL, f.signo());
            assertEquals(ip, f.ip(), "at the undefined instruction");
        }
    }

    @Test
    void aCallIntoTheVsyscallPageIsTheFaultAtItsAddress() throws Exception {
        if (!GuestCode.AMD64) {
            assertEquals(Signals.SIGTRAP, guestArch().patchSignal(new long[34], Signals.SIGTRAP, 0), "arm64 has no vsyscall page");
            return;
        }
        String maps = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/maps"));
        if (!maps.contains("[vsyscall]")) {
            // vsyscall=none: a call there is a plain fault at that address, which the fault tests cover
            System.out.println("GuestSwitchKernelTest: this kernel maps no vsyscall page (vsyscall=none)");
        }
        long vsyscall = 0xffff_ffff_ff60_0000L;
        try (GuestAddressSpace space = guests.newAddressSpace()) {
            GuestContext c = load(space, new GuestCode().callVsyscall().spin());
            long sp = c.stackPointer();
            GuestEvent e = c.switchTo();
            GuestEvent.Fault f = assertInstanceOf(GuestEvent.Fault.class, e, () -> "got " + e);
            assertEquals(Signals.SIGSEGV, f.signo(), "the stub filter's SIGSYS became the guest's SIGSEGV (patchSignalInfo)");
            assertEquals(vsyscall, f.address());
            assertEquals(vsyscall, c.instructionPointer(), "the IP is the vsyscall address");
            assertEquals(sp - 8, c.stackPointer(), "the return address of the call is on the stack");
            assertEquals(FaultAccess.EXECUTE, f.access());
        }
    }

    /**
     * A round trip allocates nothing once warm (the Syscall event is reused per number, GuestEvent.Syscall
     * says so): bytes allocated by this thread over 10,000 switches, after 10,000 to warm up (the reuse
     * makes it zero by construction, not by the JIT's escape analysis; few rounds keep this short in
     * the emulated arm64 guest). A new event per switch would be 88 bytes each; the bound leaves room
     * for a stray allocation.
     */
    @Test
    void aRoundTripAllocatesNothing() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        try (GuestAddressSpace space = guests.newAddressSpace()) {
            GuestContext c = load(space, new GuestCode().number(GuestCode.GETPID).syscall().spin());
            long start = c.instructionPointer();
            long perSwitch = Long.MAX_VALUE;
            for (int round = 0; round < 2; round++) {
                long before = mx.getThreadAllocatedBytes(Thread.currentThread().getId());
                for (int i = 0; i < 10_000; i++) {
                    c.setInstructionPointer(start);
                    GuestEvent e = c.switchTo();
                    if (!(e instanceof GuestEvent.Syscall)) {
                        throw new AssertionError("expected a syscall, got " + e);
                    }
                    c.setSyscallResult(1);
                }
                perSwitch = (mx.getThreadAllocatedBytes(Thread.currentThread().getId()) - before) / 10_000;
            }
            assertTrue(perSwitch < 8, perSwitch + " bytes allocated per switch once warm");
        }
    }

    @Test
    void aGuestKilledFromOutsideEndsTheSwitchWithExited() throws Exception {
        try (GuestAddressSpace space = guests.newAddressSpace()) {
            GuestContext c = load(space, new GuestCode().spin());
            CompletableFuture<GuestEvent> ev = CompletableFuture.supplyAsync(c::switchTo, other1);
            Thread.sleep(50);
            Sys.kill(space.subprocess().pid(), Signals.SIGKILL);
            GuestEvent e = ev.get(10, TimeUnit.SECONDS);
            GuestEvent.Exited x = assertInstanceOf(GuestEvent.Exited.class, e, () -> "got " + e);
            assertTrue(x.description().contains("SIGKILL") || x.description().contains("killed"), x.description());
            GuestEvent next = c.switchTo();
            assertInstanceOf(GuestEvent.Exited.class, next, () -> "after the death, got " + next);
        }
    }

    @Test
    void closingTheAddressSpaceInterruptsARunningSwitchAndRefusesTheNext() throws Exception {
        GuestAddressSpace space = guests.newAddressSpace();
        GuestContext c = load(space, new GuestCode().spin());
        CompletableFuture<GuestEvent> ev = CompletableFuture.supplyAsync(c::switchTo, other1);
        Thread.sleep(50);
        space.close();
        assertInstanceOf(GuestEvent.Interrupted.class, ev.get(10, TimeUnit.SECONDS));
        assertThrows(PlatformClosedException.class, c::switchTo);
        assertThrows(PlatformClosedException.class, space::newContext);
    }

    @Test
    void aContextIsSwitchedByOneThreadAtATime() throws Exception {
        try (GuestAddressSpace space = guests.newAddressSpace()) {
            GuestContext c = load(space, new GuestCode().spin());
            CompletableFuture<GuestEvent> ev = CompletableFuture.supplyAsync(c::switchTo, other1);
            Thread.sleep(50);
            IllegalStateException e = assertThrows(IllegalStateException.class, c::switchTo);
            assertTrue(e.getMessage().contains("guest-1"), e.getMessage());
            c.interrupt();
            assertInstanceOf(GuestEvent.Interrupted.class, ev.get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void arm64KeepsX7AcrossASyscallStop() {
        if (GuestCode.AMD64) {
            // amd64 has no such clobber; the event decoding is covered above. Nothing to run here.
            assertFalse(guestArch().syscallStopClobbersRegisters());
            return;
        }
        long v = 0x7777_0000_1234_5678L;
        try (GuestAddressSpace space = guests.newAddressSpace()) {
            GuestContext c = load(space, new GuestCode().x7(v).number(GuestCode.GETPID).syscall().x7ToArg0()
                    .number(GuestCode.GETPID).syscall().spin());
            GuestEvent.Syscall first = syscall(c.switchTo());
            assertEquals(v, c.register("x7"), "Java sees the guest's x7, not the stop direction");
            assertNotEquals(0, first.number());
            assertEquals(v, syscall(c.switchTo()).arg(0), "the guest's x7 survived the stop");
        }
    }

    @Test
    void registersRoundTripAndBadRegistersAreRefusedByName() {
        try (GuestAddressSpace space = guests.newAddressSpace()) {
            GuestContext c = space.newContext();
            c.setInstructionPointer(0x1000);
            assertEquals(0x1000, c.instructionPointer());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.register("nope"));
            assertTrue(e.getMessage().contains("nope"), e.getMessage());
            String sp = c.registers().names().get(1); // any register, by the name the layout gives it
            c.setRegister(sp, 0x7000);
            assertEquals(0x7000, c.register(sp));
            long[] w = c.registers().words();
            w[0] = 0x1234;
            c.setRegisters(c.registers().with(0, 0x1234));
            assertArrayEquals(w, c.registers().words(), "setRegisters then registers gives them back");
            assertThrows(IllegalArgumentException.class, () -> c.setRegisters(new dev.tether.api.Registers("other", List.of("a"), new long[1])));
        }
    }

    /**
     * A fresh context's vector state is the initial one, whatever its stub thread held (arm64: its
     * NT_PRFPREG state is all of V0..V31, nothing to probe; an x86-64 CPU without AVX: likewise). Found on
     * trap, whose first run set only the FXSAVE area: a JVM thread's ZMM16-31 and opmask registers,
     * which vzeroupper does not clear, reached the guest.
     */
    @Test
    void aFreshContextSeesNoVectorStateItDidNotSet() throws Exception {
        try (GuestAddressSpace space = guests.newAddressSpace()) {
            for (String[] probe : VectorStateProbe.programs()) {
                GuestCode code = new GuestCode().bytes(VectorStateProbe.code(probe[1])).number(GuestCode.GETPID).syscall().spin();
                for (int i = 0; i < 3; i++) { // threads of one subprocess, each made from a stub thread
                    GuestContext c = load(space, code);
                    GuestEvent.Syscall e = syscall(c.switchTo());
                    assertEquals(GuestCode.GETPID, e.number());
                    long[] a = e.args();
                    assertEquals("0 0 0", Long.toHexString(a[0]) + " " + Long.toHexString(a[1]) + " " + Long.toHexString(a[2]),
                            probe[0] + " of fresh guest thread " + i + ", OR-ed");
                }
            }
        }
    }
}
