package dev.tether.trap;

/**
 * Whether a context spins before it sleeps. Spinning pays only while the two sides really run at
 * once, on two CPUs. When the scheduler puts them on one CPU (or other load leaves them one), each
 * side spins out its whole budget while the other cannot run: a round trip then costs both budgets.
 * So after {@link #MISSES} waits in a row whose spin ran out (or whose handler had gone to sleep),
 * spinning is turned off for {@link #PAUSE} round trips, then tried again (the guest floor's README:
 * gVisor's Sentry turns its fast path off the same way). Used by one switching thread at a time.
 */
final class AdaptiveSpin {
    static final int MISSES = 4;
    static final int PAUSE = 2000;
    private final boolean enabled;
    private int misses;
    private int offFor;

    /** @param enabled whether there is a spin budget at all (two usable CPUs and {@code spinMicros} > 0) */
    AdaptiveSpin(boolean enabled) {
        this.enabled = enabled;
    }

    /** Whether to spin now. */
    boolean on() {
        return enabled && offFor == 0;
    }

    /** Whether this round trip spins; counts one round trip of a pause. */
    boolean roundTrip() {
        boolean on = on();
        if (offFor > 0) {
            offFor--;
        }
        return on;
    }

    /** A spin that saw the other side answer. */
    void hit() {
        misses = 0;
    }

    /** A spin that ran out (or found the other side asleep). */
    void missed() {
        if (++misses >= MISSES) {
            misses = 0;
            offFor = PAUSE;
        }
    }
}
