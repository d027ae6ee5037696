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
 * no process; the futex-only path (no spinning) works. x86-64 machine code: the trap platform has no
 * arm64 handler yet.
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

    /** x86-64 encodings (Intel SDM vol. 2): mov $imm32,%rax; movabs $imm64,%rcx; jmp *%rcx; syscall; int $0x80; jmp . */
    static final class Code {
        final ByteArrayOutputStream b = new ByteArrayOutputStream();

        Code movRax(int v) {
            b.write(0x48); b.write(0xc7); b.write(0xc0);
            imm(v, 4);
            return this;
        }

        Code jmpAbs(long target) {
            b.write(0x48); b.write(0xb9);
            imm(target, 8);
            b.write(0xff); b.write(0xe1);
            return this;
        }

        Code syscall() {
            b.write(0x0f); b.write(0x05);
            return this;
        }

        Code int80() {
            b.write(0xcd); b.write(0x80);
            return this;
        }

        Code spin() {
            b.write(0xeb); b.write(0xfe);
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
     * Every syscall number 0..450 from the guest's own code (and the 32-bit int 0x80 entry) is trapped:
     * none runs. Except the ones this kernel answers before seccomp runs at all (uretprobe and uprobe,
     * KernelQuirks: no filter can act on them, on any platform), which are left out and listed.
     */
    @Test
    void everySyscallNumberFromGuestCodeIsTrappedNoneRuns() {
        if (!GuestCode.AMD64) {
            return;
        }
        List<Integer> unfiltered = KernelQuirks.bypassed(platform, 450);
        if (!unfiltered.isEmpty()) {
            System.out.println("TrapMechanismKernelTest: this kernel runs " + unfiltered + " before seccomp (uretprobe/uprobe): left out");
        }
        List<Integer> numbers = new java.util.ArrayList<>();
        Code code = new Code();
        for (int nr = 0; nr <= 450; nr++) {
            if (!unfiltered.contains(nr)) {
                numbers.add(nr);
                code.movRax(nr).syscall();
            }
        }
        code.movRax(20).int80().spin(); // i386 getpid through the 32-bit entry
        try (GuestAddressSpace space = trap.newAddressSpace()) {
            GuestContext c = load(space, code);
            long ip = c.instructionPointer();
            for (int nr : numbers) {
                GuestEvent e = c.switchTo();
                GuestEvent.Syscall s = assertInstanceOf(GuestEvent.Syscall.class, e, "syscall " + nr + ": " + e);
                assertEquals(nr, s.number(), "the events come in order: none of them ran and skipped its trap");
                ip += 9;
                assertEquals(ip, c.instructionPointer(), "after syscall " + nr);
                c.setSyscallResult(0);
            }
            GuestEvent.Syscall i386 = assertInstanceOf(GuestEvent.Syscall.class, c.switchTo());
            assertEquals(20, i386.number(), "int 0x80 is trapped with its 32-bit number");
            assertTrue(space.subprocess().alive(), "exit and exit_group (60, 231) were trapped, not run");
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
        if (!GuestCode.AMD64) {
            return;
        }
        long stubSyscall = platform.facts().stubAddress() + TestArch.program().stub().syscallOffset();
        long restorerSyscall = platform.facts().stubAddress() - dev.tether.spi.TrapRegion.SIZE
                + TrapTesting.trapArch().handler().syscallOffset() + 7; // after "movq $15,%rax"
        // open, openat, execve, ptrace, kill, mmap, clone, seccomp, rt_sigaction, mprotect, munmap, sigaltstack
        List<Integer> numbers = List.of(2, 257, 59, 101, 62, 9, 56, 317, 13, 10, 11, 131);
        for (long target : new long[] {stubSyscall, restorerSyscall}) {
            for (int nr : numbers) {
                try (GuestAddressSpace space = trap.newAddressSpace()) {
                    GuestContext c = load(space, new Code().movRax(nr).jmpAbs(target));
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
            GuestContext c = load(space, new Code().movRax(39).syscall().movRax(39).syscall().spin());
            for (int i = 0; i < 2; i++) {
                assertEquals(39, assertInstanceOf(GuestEvent.Syscall.class, c.switchTo()).number());
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
}
