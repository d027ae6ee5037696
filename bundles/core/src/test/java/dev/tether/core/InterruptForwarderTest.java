package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The forwarder's states without a guest (gVisor's interrupt.Forwarder semantics): an interrupt
 * while no switch runs is kept, once, for the next switch; one while a switch runs goes to its
 * stub thread and is not kept. The stub thread here is one that does not exist (thread ids above
 * the kernel's PID_MAX_LIMIT, 4194304 in include/linux/threads.h): its tgkill fails with ESRCH, which
 * the forwarder takes as a stub thread gone (the switch reports that).
 */
class InterruptForwarderTest {
    private static final int NO_SUCH_ID = 0x7fff_fff0;

    private static Tracee nowhere() {
        return new Tracee(NO_SUCH_ID, NO_SUCH_ID, null, Thread.currentThread(), new SyscallRegs(TestArch.layout()));
    }

    @Test
    void anInterruptWithNoSwitchIsKeptOnceForTheNextSwitch() {
        InterruptForwarder f = new InterruptForwarder();
        Tracee t = nowhere();
        f.notifyInterrupt();
        f.notifyInterrupt();
        assertFalse(f.enable(t), "the pending interrupt ends the next switch at once");
        assertTrue(f.enable(t), "two interrupts before a switch are one: none is left");
        f.disable();
    }

    @Test
    void anInterruptDuringASwitchGoesToItsStubThreadAndIsNotKept() {
        InterruptForwarder f = new InterruptForwarder();
        Tracee t = nowhere();
        assertTrue(f.enable(t));
        f.notifyInterrupt(); // a tgkill to t (ESRCH here), not a pending interrupt
        f.disable();
        assertTrue(f.enable(t), "an interrupt delivered to a switch is not kept for the next one");
        f.disable();
        f.notifyInterrupt();
        assertFalse(f.enable(t), "after the switch ended, an interrupt is kept again");
    }
}
