package dev.tether.trap;

/**
 * Whether a context spins before it sleeps. Spinning pays only while the two sides really run at
 * once, on two CPUs. When other load takes a CPU from one side, the other spins out its whole budget
 * while it waits. So after {@link #MISSES} waits in a row whose spin ran out (or whose handler had gone
 * to sleep), spinning is paused for a number of round trips, then tried again (the guest floor's README:
 * gVisor's Sentry turns its fast path off the same way). The pause starts at {@link #MIN_PAUSE} and
 * doubles, up to {@link #MAX_PAUSE}, each time a try ends in misses again before any spin was answered:
 * a short burst of other load (a compiler thread, a build step) costs a short pause, lasting load a long
 * one, where each try costs up to {@link #MISSES} budgets. Used by one switching thread at a time.
 */
final class AdaptiveSpin {
    static final int MISSES = 4;
    /** Round trips of the first pause: ~0.2 ms of blocking round trips at ~3.5 µs each. */
    static final int MIN_PAUSE = 64;
    /** Round trips of the longest pause: ~7 ms, against at most 4 budgets (80 µs at 20 µs) lost per try. */
    static final int MAX_PAUSE = 2048;
    private final boolean enabled;
    private int misses;
    private int offFor;
    private int pause = MIN_PAUSE;
    /** Whether a spin was answered since spinning was last resumed. */
    private boolean answered = true;

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
        answered = true;
    }

    /** A spin that ran out (or found the other side asleep). */
    void missed() {
        if (++misses >= MISSES) {
            misses = 0;
            pause = answered ? MIN_PAUSE : Math.min(MAX_PAUSE, pause * 2);
            answered = false;
            offFor = pause;
        }
    }

    /** The round trips the current (or last) pause lasts. */
    int pause() {
        return pause;
    }
}
