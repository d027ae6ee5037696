package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.guest.GuestAddressSpace;
import dev.tether.guest.GuestContext;
import dev.tether.guest.GuestEvent;
import dev.tether.trap.TrapGuestPlatform;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** core's guest switch contract on the trap platform (docs/trap.md), plus what trap does differently. */
@ExtendWith(NoLeftoverProcesses.class)
class TrapSwitchKernelTest extends GuestSwitchContract {
    static StubPlatformImpl platform;
    static TrapGuestPlatform trap;

    @BeforeAll
    static void start() {
        platform = TrapTesting.platform(true);
        trap = TrapTesting.trap(platform, TrapGuestPlatform.GVISOR_SPIN_MICROS);
        guests = trap;
        startThreads();
    }

    @AfterAll
    static void stop() {
        stopThreads();
        trap.close();
        platform.close();
    }

    /** The page-fault error code in the frame says what the access was: a repeated read stays a read (ptrace can only guess). */
    @Test
    void theSameFaultAgainIsStillARead() {
        try (GuestAddressSpace space = guests.newAddressSpace()) {
            GuestContext c = load(space, new GuestCode().nullLoad());
            assertEquals(dev.tether.guest.FaultAccess.READ, assertInstanceOf(GuestEvent.Fault.class, c.switchTo()).access());
            assertEquals(dev.tether.guest.FaultAccess.READ, assertInstanceOf(GuestEvent.Fault.class, c.switchTo()).access());
        }
    }

    /**
     * amd64: the contract's single step (eflags.TF in the frame survives rt_sigreturn). arm64: refused by
     * name, since rt_sigreturn clears PSTATE.SS for a thread ptrace does not step (user_regs_reset_single_step,
     * arch/arm64/kernel/ptrace.c): seen in arm64-check, the guest ran on to its system call. Nothing runs.
     */
    @Override
    @Test
    void singleSteppingStopsAfterOneInstruction() {
        if (GuestCode.AMD64) {
            super.singleSteppingStopsAfterOneInstruction();
            return;
        }
        try (GuestAddressSpace space = guests.newAddressSpace()) {
            GuestContext c = load(space, new GuestCode().nop().number(GuestCode.GETPID).syscall().spin());
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> c.setSingleStep(true));
            assertTrue(e.getMessage().contains("single-stepping") && e.getMessage().contains("ptrace"), e.getMessage());
            c.setSingleStep(false);
            assertEquals(GuestCode.GETPID, assertInstanceOf(GuestEvent.Syscall.class, c.switchTo()).number(), "the context still runs");
        }
    }

    @Test
    void cpuidTrapsToJavaWhenTheStubsHaveCpuidFaulting() {
        if (!GuestCode.AMD64 || !platform.facts().cpuidFaulting()) {
            System.out.println("TrapSwitchKernelTest: no CPUID faulting here (arm64, or no cpuid_fault): the MiniLinux contract runs with it off");
            assertEquals(!GuestCode.AMD64 || !platform.facts().cpuidFaulting(), true);
            return;
        }
        try (GuestAddressSpace space = guests.newAddressSpace()) {
            GuestContext c = load(space, new GuestCode().cpuid().number(GuestCode.GETPID).syscall().spin());
            long ip = c.instructionPointer();
            GuestEvent e = c.switchTo();
            GuestEvent.CpuidFault f = assertInstanceOf(GuestEvent.CpuidFault.class, e, () -> "got " + e);
            assertEquals(ip + 5, f.ip(), "at the cpuid, after the mov");
        }
    }
}
