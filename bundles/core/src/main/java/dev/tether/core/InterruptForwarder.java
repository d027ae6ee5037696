package dev.tether.core;

import dev.tether.abi.Signals;
import dev.tether.linux.LinuxException;
import dev.tether.linux.Sys;

/**
 * One guest context's interrupt forwarder (gVisor's {@code interrupt.Forwarder},
 * {@code pkg/sentry/platform/interrupt/interrupt.go}): while a switch runs, an interrupt is a
 * SIGCHLD to the stub thread running the guest (gVisor's {@code thread.NotifyInterrupt}: tgkill),
 * whose signal stop the switch reports as an interrupt; while none runs, it is kept pending and the
 * next switch returns at once. The switch enables and disables it; any thread may notify it.
 */
final class InterruptForwarder {
    private final Object lock = new Object();
    /** The stub thread to signal while switched in ({@code Forwarder.dst}), else null. */
    private Tracee target;
    private boolean pending;

    /** Forwarder.Enable: false (and the pending interrupt consumed) if one is pending. */
    boolean enable(Tracee t) {
        synchronized (lock) {
            if (pending) {
                pending = false;
                return false;
            }
            target = t;
            return true;
        }
    }

    /** Forwarder.Disable: interrupts are kept pending again. */
    void disable() {
        synchronized (lock) {
            target = null;
        }
    }

    /** Forwarder.NotifyInterrupt: signals the stub thread switched in now, else keeps it pending. */
    void notifyInterrupt() {
        synchronized (lock) {
            Tracee t = target;
            if (t == null) {
                pending = true;
                return;
            }
            try {
                Sys.tgkill(t.tgid, t.tid, Signals.SIGCHLD);
            } catch (LinuxException e) {
                // ESRCH: the stub thread is gone; the switch reports its death
            }
        }
    }
}
