package dev.tether.core;

import dev.tether.abi.Signals;
import dev.tether.linux.LinuxException;
import dev.tether.linux.Sys;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One guest context's interrupt forwarder (gVisor's {@code interrupt.Forwarder},
 * {@code pkg/sentry/platform/interrupt/interrupt.go}): while a switch runs, an interrupt is a
 * SIGCHLD to the stub thread running the guest (gVisor's {@code thread.NotifyInterrupt}: tgkill),
 * whose signal stop the switch reports as an interrupt; while none runs, it is kept pending and the
 * next switch returns at once. The switch enables and disables it; any thread may notify it.
 */
final class InterruptForwarder {
    /** {@link #state} while an interrupt waits for the next switch. */
    private static final Object PENDING = new Object();
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(InterruptForwarder.class, "state", Object.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * Null (no switch, nothing pending), {@link #PENDING}, or the {@link Tracee} to signal while a
     * switch runs ({@code Forwarder.dst}). Lock-free rather than gVisor's mutex: a switch enables and
     * disables the forwarder every few µs, and two monitor enters (two CAS each) showed in a switch's
     * cost; this way a switch pays one CAS and a release store. Only the switching thread moves it to
     * and from a Tracee; notifiers only move it from null to {@link #PENDING}.
     */
    @SuppressWarnings("unused") // through STATE
    private volatile Object state;

    /** Forwarder.Enable: false (and the pending interrupt consumed) if one is pending. */
    boolean enable(Tracee t) {
        if (STATE.compareAndSet(this, null, t)) {
            return true;
        }
        // Not null, and not a Tracee (only the switching thread sets one, and it disabled it): PENDING.
        STATE.setVolatile(this, null);
        return false;
    }

    /**
     * Forwarder.Disable: interrupts are kept pending again. A notifier that read the stub thread
     * just before may still signal it: that interrupt then stops the next switch, as it would have
     * had it come a moment earlier, while the stub thread was stopping on its own.
     */
    void disable() {
        STATE.setRelease(this, null);
    }

    /** Forwarder.NotifyInterrupt: signals the stub thread switched in now, else keeps it pending. */
    void notifyInterrupt() {
        while (true) {
            Object s = STATE.getVolatile(this);
            if (s == PENDING) {
                return;
            }
            if (s == null) {
                if (STATE.compareAndSet(this, null, PENDING)) {
                    return;
                }
                continue; // a switch enabled it meanwhile: signal that
            }
            Tracee t = (Tracee) s;
            try {
                Sys.tgkill(t.tgid, t.tid, Signals.SIGCHLD);
            } catch (LinuxException e) {
                // ESRCH: the stub thread is gone; the switch reports its death
            }
            return;
        }
    }
}
