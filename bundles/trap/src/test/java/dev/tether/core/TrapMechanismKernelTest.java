package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.api.PlatformClosedException;
import dev.tether.api.Subprocess;
import dev.tether.guest.GuestAddressSpace;
import dev.tether.guest.GuestContext;
import dev.tether.guest.GuestEvent;
import dev.tether.trap.TrapGuestPlatform;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What the trap platform promises beyond the switch contract (docs/trap.md, section 7): no system call
 * of the guest runs, through its own code or through the stub and code pages' syscall instructions; the
 * trap pages cannot be mapped over; stopping the platform while a guest runs is a typed error and leaves
 * no process; the futex-only path (no spinning) works. The guest code is the host's machine code
 * ({@link Code}: x86-64 or arm64), so each arch runs the same tests with its own instructions.
 */
@ExtendWith(NoLeftoverProcesses.class)
class TrapMechanismKernelTest {
    static StubPlatformImpl platform;
    static TrapGuestPlatform trap;
    static ExecutorService other;
    static final int PAGE = 4096;

    @BeforeAll
    static void start() {
        platform = TrapTesting.platform(false);
        trap = TrapTesting.trap(platform, TrapGuestPlatform.GVISOR_SPIN_MICROS);
        other = Executors.newSingleThreadExecutor(r -> new Thread(r, "trap-other"));
    }

    @AfterAll
    static void stop() {
        other.shutdown();
        trap.close();
        platform.close();
    }

    /**
     * Guest machine code for the host's arch. x86-64 (Intel SDM vol. 2): {@code mov $imm32,%rax} (48 c7 c0
     * imm32), {@code movabs $imm64,%rcx} (48 b9 imm64), {@code jmp *%rcx} (ff e1), {@code syscall} (0f 05),
     * {@code int $0x80} (cd 80), {@code jmp .} (eb fe). arm64 (Arm ARM DDI 0487, C6.2; little-endian words):
     * {@code movz x8, #imm16} (0xd2800008 | imm16 << 5), {@code movz x16} / {@code movk x16, lsl 16, 32, 48}
     * (0xd2800010, 0xf2a00010, 0xf2c00010, 0xf2e00010 | imm16 << 5), {@code br x16} (0xd61f0200),
     * {@code svc #0} (0xd4000001), {@code b .} (0x14000000). The system call number goes in rax / x8
     * (syscall(2), "Architecture calling conventions").
     */
    static final class Code {
        /** Bytes of {@code number(nr).syscall()}: 7 + 2 on x86-64, 4 + 4 on arm64. */
        static final int SYSCALL_BLOCK = GuestCode.AMD64 ? 9 : 8;
        final ByteArrayOutputStream b = new ByteArrayOutputStream();

        Code number(int nr) {
            if (GuestCode.AMD64) {
                b.write(0x48); b.write(0xc7); b.write(0xc0);
                imm(nr, 4);
                return this;
            }
            return word(0xd2800008 | (nr & 0xffff) << 5);
        }

        Code jmpAbs(long target) {
            if (GuestCode.AMD64) {
                b.write(0x48); b.write(0xb9);
                imm(target, 8);
                b.write(0xff); b.write(0xe1);
                return this;
            }
            int[] ops = {0xd2800010, 0xf2a00010, 0xf2c00010, 0xf2e00010};
            for (int i = 0; i < 4; i++) {
                word(ops[i] | (int) ((target >>> (16 * i)) & 0xffff) << 5);
            }
            return word(0xd61f0200);
        }

        Code syscall() {
            if (GuestCode.AMD64) {
                b.write(0x0f); b.write(0x05);
                return this;
            }
            return word(0xd4000001);
        }

        /**
         * The thread pointer into the first argument register: x86-64 {@code mov %fs:0,%rdi} (64 48 8b 3c 25
         * 00 00 00 00: the word at fs_base), arm64 {@code mrs x0, tpidr_el0} (0xd53bd040: TPIDR_EL0 itself).
         */
        Code threadPointerToArg0() {
            if (GuestCode.AMD64) {
                b.write(0x64); b.write(0x48); b.write(0x8b); b.write(0x3c); b.write(0x25);
                imm(0, 4);
                return this;
            }
            return word(0xd53bd040);
        }

        /** arm64 only: {@code movz x9, #v; msr tpidr_el0, x9} (0xd2800009 | v << 5, 0xd51bd049), no system call. */
        Code setThreadPointer(int v) {
            if (GuestCode.AMD64) {
                throw new IllegalStateException("x86-64 sets fs_base with a system call (arch_prctl) or wrfsbase");
            }
            return word(0xd2800009 | (v & 0xffff) << 5).word(0xd51bd049);
        }

        /** x86-64 only: the 32-bit entry (arm64 has one system call instruction). */
        Code int80() {
            if (!GuestCode.AMD64) {
                throw new IllegalStateException("int $0x80 is x86 only");
            }
            b.write(0xcd); b.write(0x80);
            return this;
        }

        /**
         * A jump back over the last {@code bytes} bytes, this jump included on x86-64: {@code jmp rel8} (eb
         * rel8, the displacement from the next instruction), arm64 {@code b} (0x14000000 | imm26, in words
         * from this instruction).
         */
        Code back(int bytes) {
            if (GuestCode.AMD64) {
                b.write(0xeb); b.write(-(bytes + 2));
                return this;
            }
            return word(0x14000000 | (-(bytes / 4)) & 0x3ffffff);
        }

        Code spin() {
            if (GuestCode.AMD64) {
                b.write(0xeb); b.write(0xfe);
                return this;
            }
            return word(0x14000000);
        }

        private Code word(int w) {
            imm(w, 4);
            return this;
        }

        private void imm(long v, int n) {
            for (int i = 0; i < n; i++) {
                b.write((int) (v >> (8 * i)));
            }
        }
    }

    static GuestContext load(GuestAddressSpace space, Code code) {
        Subprocess sp = space.subprocess();
        byte[] bytes = code.b.toByteArray();
        int len = (bytes.length + PAGE - 1) / PAGE * PAGE;
        long text = sp.mapAnonymous(0, len, 7);
        long stack = sp.mapAnonymous(0, PAGE, 3);
        sp.write(text, bytes, 0, bytes.length);
        GuestContext c = space.newContext();
        c.setInstructionPointer(text);
        c.setStackPointer(stack + PAGE - 64);
        return c;
    }

    /**
     * Every syscall number 0..450 from the guest's own code (and on x86-64 the 32-bit int 0x80 entry) is
     * trapped: none runs. Except the ones this kernel answers before seccomp runs at all (uretprobe and
     * uprobe, KernelQuirks: no filter can act on them, on any platform), which are left out and listed.
     */
    @Test
    void everySyscallNumberFromGuestCodeIsTrappedNoneRuns() {
        List<Integer> unfiltered = KernelQuirks.bypassed(platform, 450);
        if (!unfiltered.isEmpty()) {
            System.out.println("TrapMechanismKernelTest: this kernel runs " + unfiltered + " before seccomp (uretprobe/uprobe): left out");
        }
        List<Integer> numbers = new java.util.ArrayList<>();
        Code code = new Code();
        for (int nr = 0; nr <= 450; nr++) {
            if (!unfiltered.contains(nr)) {
                numbers.add(nr);
                code.number(nr).syscall();
            }
        }
        if (GuestCode.AMD64) {
            code.number(20).int80(); // i386 getpid through the 32-bit entry
        }
        code.spin();
        try (GuestAddressSpace space = trap.newAddressSpace()) {
            GuestContext c = load(space, code);
            long ip = c.instructionPointer();
            for (int nr : numbers) {
                GuestEvent e = c.switchTo();
                GuestEvent.Syscall s = assertInstanceOf(GuestEvent.Syscall.class, e, "syscall " + nr + ": " + e);
                assertEquals(nr, s.number(), "the events come in order: none of them ran and skipped its trap");
                ip += Code.SYSCALL_BLOCK;
                assertEquals(ip, c.instructionPointer(), "after syscall " + nr);
                c.setSyscallResult(0);
            }
            if (GuestCode.AMD64) {
                GuestEvent.Syscall i386 = assertInstanceOf(GuestEvent.Syscall.class, c.switchTo());
                assertEquals(20, i386.number(), "int 0x80 is trapped with its 32-bit number");
            }
            assertTrue(space.subprocess().alive(), "exit and exit_group (" + TestArch.table().require("exit") + ", "
                    + TestArch.table().require("exit_group") + ") were trapped, not run");
            assertTrue(numbers.size() >= 449, "at most uretprobe and uprobe are left out");
        }
    }

    /**
     * A guest that jumps to the stub page's or the code page's syscall instruction with a dangerous number
     * is trapped (Syscall event) or killed (Exited), never served: a served call would go on to the next
     * instruction there (int3 in the stub, hlt after the restorer) and fault without a Syscall event first.
     */
    @Test
    void jumpingIntoTheStubOrCodePageRunsNothing() {
        long stubSyscall = platform.facts().stubAddress() + TestArch.program().stub().syscallOffset();
        long restorerSyscall = platform.facts().stubAddress() - dev.tether.spi.TrapRegion.SIZE
                + TrapTesting.trapArch().handler().syscallOffset()
                + (GuestCode.AMD64 ? 7 : 4); // after the restorer's "movq $15,%rax" (7 bytes) / "movz x8, #139" (4)
        // by name: arm64 has no open (the generic table, include/uapi/asm-generic/unistd.h)
        List<Integer> numbers = new java.util.ArrayList<>();
        for (String name : List.of("open", "openat", "execve", "ptrace", "kill", "mmap", "clone", "seccomp", "rt_sigaction",
                "mprotect", "munmap", "sigaltstack")) {
            TestArch.table().number(name).ifPresent(numbers::add);
        }
        assertTrue(numbers.size() >= 11, "the table knows them: " + numbers);
        for (long target : new long[] {stubSyscall, restorerSyscall}) {
            for (int nr : numbers) {
                try (GuestAddressSpace space = trap.newAddressSpace()) {
                    GuestContext c = load(space, new Code().number(nr).jmpAbs(target));
                    GuestEvent e = c.switchTo();
                    String where = String.format("syscall %d through 0x%x", nr, target);
                    if (e instanceof GuestEvent.Syscall) {
                        assertEquals(nr, ((GuestEvent.Syscall) e).number(), where);
                    } else {
                        GuestEvent.Exited x = assertInstanceOf(GuestEvent.Exited.class, e, where + ": " + e);
                        assertTrue(target == stubSyscall, where + ": only the stub page's filter kills: " + x);
                    }
                }
            }
        }
    }

    /**
     * The thread pointer Java sets is the guest's from its first instruction, and a change between events
     * reaches it: on x86-64 through fs_base (the handler's arch_prctl), on arm64 through TPIDR_EL0 (the
     * thread's boot fault, then the handler's msr), where Java also reads what the guest set itself.
     */
    @Test
    void theThreadPointerJavaSetsIsTheGuestsAndArm64sOwnIsReadBack() {
        try (GuestAddressSpace space = trap.newAddressSpace()) {
            Subprocess sp = space.subprocess();
            long block = sp.mapAnonymous(0, PAGE, 3);
            java.nio.ByteBuffer w = java.nio.ByteBuffer.allocate(16).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            w.putLong(0x1111_2222_3333_4444L).putLong(0x5555_6666_7777_8888L);
            sp.write(block, w.array(), 0, 16);
            // x86-64 reads the word at fs_base, arm64 the register itself
            long first = GuestCode.AMD64 ? block : 0x7777_1000L;
            long second = GuestCode.AMD64 ? block + 8 : 0x7777_2000L;
            Code code = new Code().threadPointerToArg0().number(GuestCode.GETPID).syscall();
            if (!GuestCode.AMD64) {
                code.setThreadPointer(0x4321).number(GuestCode.GETPID).syscall();
            }
            code.threadPointerToArg0().number(GuestCode.GETPID).syscall().spin();
            GuestContext c = load(space, code);
            c.setTls(first);
            assertEquals(GuestCode.AMD64 ? 0x1111_2222_3333_4444L : first, syscallArg0(c.switchTo()),
                    "before its first system call the guest runs with Java's thread pointer");
            assertEquals(first, c.tls());
            if (!GuestCode.AMD64) {
                syscallArg0(c.switchTo());
                assertEquals(0x4321, c.tls(), "Java reads the TPIDR_EL0 the guest set with msr");
            }
            c.setTls(second);
            assertEquals(GuestCode.AMD64 ? 0x5555_6666_7777_8888L : second, syscallArg0(c.switchTo()), "Java's change reached the guest");
        }
    }

    private static long syscallArg0(GuestEvent e) {
        GuestEvent.Syscall s = assertInstanceOf(GuestEvent.Syscall.class, e, () -> "expected a system call, got " + e);
        assertEquals(GuestCode.GETPID, s.number());
        return s.arg(0);
    }

    /**
     * A subprocess killed from outside before (or while) its guest thread is set up: the first switch ends
     * with Exited, as a kill while the guest runs does, not with the set-up call's error (under arm64-check's
     * emulation, the contract's kill 50 ms after the switch began landed in the set-up).
     */
    @Test
    void aSubprocessKilledBeforeTheFirstSwitchEndsItWithExited() throws Exception {
        try (GuestAddressSpace space = trap.newAddressSpace()) {
            GuestContext c = load(space, new Code().spin());
            dev.tether.linux.Sys.kill(space.subprocess().pid(), dev.tether.abi.Signals.SIGKILL);
            GuestEvent.Exited x = assertInstanceOf(GuestEvent.Exited.class, c.switchTo());
            assertEquals(dev.tether.abi.Signals.SIGKILL, x.status(), x.description());
            assertTrue(x.description().contains("killed"), x.description());
            assertInstanceOf(GuestEvent.Exited.class, c.switchTo(), "and every later switch");
        }
    }

    @Test
    void theTrapPagesCannotBeMappedOver() {
        try (GuestAddressSpace space = trap.newAddressSpace()) {
            long limit = trap.guestLimit(platform.facts().stubAddress());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> space.subprocess().mapAnonymous(limit, PAGE, 3));
            assertTrue(e.getMessage().contains("trap platform"), e.getMessage());
            assertEquals(limit - PAGE, space.subprocess().mapAnonymous(limit - PAGE, PAGE, 3), "just below is the guest's");
        }
    }

    /** With no spin budget every wait is a futex sleep: the round trips still come right. */
    @Test
    void withoutSpinningEveryWaitSleepsAndStillWorks() {
        TrapGuestPlatform sleepy = TrapTesting.trap(platform, 0);
        try (GuestAddressSpace space = sleepy.newAddressSpace()) {
            assertEquals(0, sleepy.spinNanos());
            GuestContext c = load(space, new Code().number(GuestCode.GETPID).syscall().number(GuestCode.GETPID).syscall().spin());
            for (int i = 0; i < 2; i++) {
                assertEquals(GuestCode.GETPID, assertInstanceOf(GuestEvent.Syscall.class, c.switchTo()).number());
            }
        } finally {
            sleepy.close();
        }
    }

    /**
     * An interrupt while the first switch sets its guest thread up (not made yet, or still traced: a
     * signal then stops it in its tracer, which discards it) is not lost: that switch returns Interrupted,
     * although the guest only spins and makes no event of its own. Interrupts at 0..2 ms into the
     * switch, which is about how long the set-up takes here.
     */
    @Test
    void anInterruptDuringTheFirstSwitchsSetUpIsNotLost() throws Exception {
        try (GuestAddressSpace space = trap.newAddressSpace()) {
            for (int i = 0; i < 20; i++) {
                GuestContext c = load(space, new Code().spin());
                CompletableFuture<GuestEvent> ev = CompletableFuture.supplyAsync(c::switchTo, other);
                java.util.concurrent.locks.LockSupport.parkNanos(i * 100_000L);
                c.interrupt();
                assertInstanceOf(GuestEvent.Interrupted.class, ev.get(10, TimeUnit.SECONDS), "interrupt " + i * 100 + " us into the first switch");
            }
        }
    }

    /** Stopping the platform (its bundle) while a guest runs: the switch throws a typed error, the subprocess is gone. */
    @Test
    void closingThePlatformWhileAGuestRunsIsATypedErrorAndLeavesNoProcess() throws Exception {
        TrapGuestPlatform doomed = TrapTesting.trap(platform, TrapGuestPlatform.GVISOR_SPIN_MICROS);
        GuestAddressSpace space = doomed.newAddressSpace();
        GuestContext c = load(space, new Code().spin());
        CompletableFuture<GuestEvent> ev = CompletableFuture.supplyAsync(c::switchTo, other);
        Thread.sleep(100);
        assertFalse(ev.isDone(), "the guest spins");
        doomed.close();
        ExecutionException e = assertThrows(ExecutionException.class, () -> ev.get(10, TimeUnit.SECONDS));
        assertInstanceOf(PlatformClosedException.class, e.getCause());
        assertFalse(space.subprocess().alive(), "the subprocess was destroyed");
        assertThrows(PlatformClosedException.class, doomed::newAddressSpace);
    }

    /**
     * An FP state the kernel would refuse (x86-64: MXCSR reserved bits set; rt_sigreturn would answer with
     * a SIGSEGV, the first run's SETREGSET with EINVAL: arch/x86/kernel/fpu/) is refused when Java sets it,
     * before and after the first run, and the context goes on with its own state. arm64's NT_PRFPREG takes
     * any FPSR/FPCR value: nothing to refuse there.
     */
    @Test
    void anFpStateTheKernelWouldRefuseIsRefusedWhenSet() {
        if (!GuestCode.AMD64) {
            return;
        }
        try (GuestAddressSpace space = trap.newAddressSpace()) {
            GuestContext c = load(space, new Code().number(GuestCode.GETPID).syscall().number(GuestCode.GETPID).syscall().spin());
            for (int run = 0; run < 2; run++) {
                byte[] fp = c.floatingPointState();
                byte[] bad = fp.clone();
                bad[24] = (byte) 0xff; // MXCSR (FXSAVE bytes 24..27, Intel SDM vol. 1, 10.5.1): every reserved bit set
                bad[25] = (byte) 0xff;
                bad[26] = (byte) 0xff;
                bad[27] = (byte) 0xff;
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.setFloatingPointState(bad));
                assertTrue(e.getMessage().contains("MXCSR 0xffffffff"), e.getMessage());
                assertEquals(GuestCode.GETPID, assertInstanceOf(GuestEvent.Syscall.class, c.switchTo()).number(),
                        "the context goes on (" + (run == 0 ? "before" : "after") + " its first run)");
                assertEquals(0x1f80, (c.floatingPointState()[24] & 0xff) | (c.floatingPointState()[25] & 0xff) << 8, "its own MXCSR");
            }
        }
    }
}
