package dev.tether.trap;

import dev.tether.linux.LinuxException;
import dev.tether.linux.Sys;

/**
 * Where a context's guest thread may run, relative to the CPU its Java thread is bound to for a switch
 * (core's {@code StubThreads.enterSwitch}, the ptrace switch's binding). Two placements, one per way of
 * waiting (docs/trap.md, section 8):
 *
 * <ul>
 * <li><b>together</b> (both sides sleep on the futex between events): the guest thread bound to the Java
 * thread's CPU. A futex wake-up then makes a thread runnable on the CPU that is running already; across
 * CPUs it has to wake an idle one, which on a 2-vCPU VM cost ~25 µs each way (the guest floor's
 * {@code systrap_2cpu} against {@code systrap_samecpu}; measured here: a trap round trip of ~60 µs
 * whenever the scheduler left the two threads on different CPUs, ~3.3 µs on one).</li>
 * <li><b>apart</b> (both sides spin for the budget before they sleep): the guest thread may run on every
 * CPU the process may use except the Java thread's. Two pollers on one CPU only take turns at spinning
 * out their budgets (the floor's {@code systrap_spin_samecpu}, ~58 µs).</li>
 * </ul>
 *
 * A context re-binds its guest thread only when the Java thread's CPU or the way of waiting changes: one
 * sched_setaffinity(2) then, none per switch. Used by one switching thread at a time.
 */
final class GuestPlacement {
    /** How the guest thread is placed now. */
    enum Mode { UNSET, TOGETHER, APART }

    /** The CPUs the process may use (sched_getaffinity(2) at the platform's start). */
    private final long[] usable;
    private int javaCpu = -1;
    private Mode mode = Mode.UNSET;
    private boolean spinningAsked;
    /** sched_setaffinity calls made (tests: none per switch in a steady state). */
    private long moves;

    GuestPlacement(long[] usable) {
        this.usable = usable.clone();
    }

    /**
     * Places guest thread {@code tid} for a switch whose Java thread is bound to {@code cpu} (-1: unbound
     * this time, the guest stays where it is) and that spins ({@code spinning}) or not.
     */
    void follow(int tid, int cpu, boolean spinning) {
        if (cpu < 0 || cpu >= Sys.MAX_BIND_CPUS) {
            return;
        }
        if (cpu == javaCpu && spinning == spinningAsked) {
            return; // placed for these already: no system call, no garbage per switch
        }
        javaCpu = cpu;
        spinningAsked = spinning;
        long[] apart = spinning ? without(usable, cpu) : null;
        mode = apart != null ? Mode.APART : Mode.TOGETHER;
        moves++;
        try {
            if (apart != null) {
                Sys.setAffinity(tid, apart);
            } else {
                Sys.bindToCpu(tid, cpu);
            }
        } catch (LinuxException e) {
            // a cpuset that refuses the mask, or the thread is gone (the switch finds that out itself):
            // placement only costs or saves speed, never correctness
        }
    }

    Mode mode() {
        return mode;
    }

    int javaCpu() {
        return javaCpu;
    }

    long moves() {
        return moves;
    }

    /** {@code mask} without {@code cpu}, or null if nothing is left (one usable CPU: no way to be apart). */
    static long[] without(long[] mask, int cpu) {
        long[] m = mask.clone();
        if (cpu >>> 6 < m.length) {
            m[cpu >>> 6] &= ~(1L << (cpu & 63));
        }
        for (long w : m) {
            if (w != 0) {
                return m;
            }
        }
        return null;
    }
}
