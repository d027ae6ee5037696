package dev.tether.core;

import dev.tether.abi.Errno;
import dev.tether.abi.Ptrace;
import dev.tether.abi.Signals;
import dev.tether.abi.Wait;
import dev.tether.api.Registers;
import dev.tether.api.StubDiedException;
import dev.tether.linux.ExecutableCode;
import dev.tether.linux.LinuxException;
import dev.tether.linux.Sys;
import java.util.function.Supplier;

/**
 * The waits for one traced stub thread's stops and its end (gVisor's {@code thread.wait} in
 * subprocess.go, and what a death leaves to reap): decoding wait statuses, the leader's polling
 * wait, the PTRACE_EVENT_EXIT stop. Used by its {@link Tracee} on the tracer thread; it knows the
 * thread's numbers and state, not the Tracee (which calls it, never the other way).
 */
final class StopWaiter {
    /** Wait options for every tracee wait: __WALL (clone children too) | WUNTRACED (gVisor's thread.wait; wait4(2)). */
    static final int WAIT_OPTIONS = Wait.__WALL | Wait.WUNTRACED;

    private final int tgid;
    private final int tid;
    private final TraceeState state;
    private final FaultWatch faults;
    /** The thread's registers (for the dump of a dying thread), read on the tracer. */
    private final Supplier<Registers> registers;

    StopWaiter(int tgid, int tid, TraceeState state, FaultWatch faults, Supplier<Registers> registers) {
        this.tgid = tgid;
        this.tid = tid;
        this.state = state;
        this.faults = faults;
        this.registers = registers;
    }

    /** The next stop's signal (with the ptrace event in bits 8..15 for SIGTRAP); a death throws. */
    int waitStop() {
        if (tid == tgid) {
            return pollLeader();
        }
        while (true) {
            int sig = decodeStop(wait(WAIT_OPTIONS));
            if (sig != 0) {
                return sig;
            }
        }
    }

    /**
     * The wait for a thread group leader's next stop, which never blocks in wait4: a leader
     * killed while it runs (from outside, or by EXITKILL when a thread that used its process
     * ended) passes its PTRACE_EVENT_EXIT stop and is then only reported once every other thread
     * of its group has been reaped (ptrace(2), BUGS), and those are traced by other Java threads,
     * which may be idle forever. So this polls with WNOHANG (yielding first: the stub usually
     * stops within microseconds), and once that takes a while, reaps the group's threads that
     * have exited (waitid WEXITED only, which leaves live threads and their stops alone; their
     * tracers then see ECHILD, a death).
     */
    private int pollLeader() {
        int rounds = 0;
        while (true) {
            int status = wait(WAIT_OPTIONS | Wait.WNOHANG);
            if (status != -1) {
                int sig = decodeStop(status);
                if (sig != 0) {
                    return sig;
                }
                continue;
            }
            rounds++;
            if (rounds <= 32) {
                Sys.yield();
                continue;
            }
            GroupReaper.reapExitedThreads(tgid, tid);
            java.util.concurrent.locks.LockSupport.parkNanos(Math.min(1_000_000L, 20_000L << Math.min(6, (rounds - 32) / 4)));
        }
    }

    /**
     * wait4 on this thread. ECHILD means another thread of the JVM reaped it meanwhile: a
     * teardown ({@link GroupReaper}) that killed the process while this thread was waiting for
     * its stop, which is a death like any other, not a raw errno for the caller.
     */
    int wait(int options) {
        try {
            return Sys.wait4(tid, options);
        } catch (LinuxException e) {
            if (e.errno() != Errno.ECHILD) {
                throw e;
            }
            throw reapedElsewhere();
        }
    }

    private StubDeath reapedElsewhere() {
        state.setReaped();
        state.markDead(Signals.SIGKILL, "killed and reaped by a teardown");
        return new StubDeath("stub " + tgid + (tid != tgid ? " thread " + tid : "") + " was " + state.death(), "", tgid, tid,
                Signals.SIGKILL);
    }

    /**
     * Runs round trip {@code r} ({@link RoundTrip}: its sets, the resume, the wait, its gets) in
     * {@code code} (null: call by call) and returns the stop's signal as {@link #waitStop} does,
     * with {@link RoundTrip#STALE} set if a spurious stop came first (then this waited again, and
     * the gets are from the spurious stop). A death throws, as in {@link #wait}. Never for a thread
     * group leader, whose wait must not block ({@link #pollLeader}).
     */
    int roundTrip(RoundTrip r, ExecutableCode code) {
        int status;
        try {
            status = r.run(code);
        } catch (LinuxException e) {
            if (e.errno() == Errno.ECHILD && e.call().startsWith("wait4(")) {
                throw reapedElsewhere();
            }
            throw e;
        }
        int sig = decodeStop(status);
        return sig != 0 ? sig : waitStop() | RoundTrip.STALE;
    }

    /** Decodes a wait status as gVisor's thread.wait: 0 for a spurious stop; a death throws. */
    int decodeStop(int status) {
        if (!Wait.stopped(status)) {
            state.setReaped(); // this wait consumed its final status
            throw died(status, "");
        }
        int sig = Wait.stopSignal(status);
        if (sig == 0) {
            return 0; // spurious stop (gVisor's thread.wait)
        }
        if (sig == Signals.SIGTRAP) {
            int event = Wait.ptraceEvent(status);
            if (event == Ptrace.PTRACE_EVENT_EXIT) {
                throw exitEvent();
            }
            return Signals.SIGTRAP | (event << 8);
        }
        return sig;
    }

    /**
     * The wait right after a resume, without sleeping in wait4 when it can be helped. The stub
     * is bound to this thread's CPU ({@link Tracee#bind}); usually it preempts us at once and has
     * already stopped again when PTRACE_CONT returns, which a WNOHANG wait4 sees. Otherwise we
     * yield the CPU to it before waiting: a thread that sleeps in wait4 is woken by the stopping
     * stub wherever the scheduler likes, often on the other, idle CPU (an expensive wake-up in a
     * VM), and then the stub is re-bound there. Measured (tether bench, 2-vCPU VM): blocking wait
     * alone: inject p90 ~37 µs; poll, yield, wait: p90 ~10 µs, like the pinned native floor.
     */
    int waitAfterResume() {
        int status = wait(WAIT_OPTIONS | Wait.WNOHANG);
        if (status == -1) {
            Sys.yield();
            return waitStop();
        }
        int sig = decodeStop(status);
        return sig != 0 ? sig : waitStop();
    }

    /**
     * The wait after a resume into code that runs a while before it stops (guest code): yield
     * first, then look, then wait. The stub thread is bound to this CPU ({@link Tracee#bind}), so
     * the yield lets it run here until its next stop, and the WNOHANG wait then finds that stop. A
     * thread sleeping in wait4 instead is woken wherever the scheduler likes: on an idle 2-vCPU VM
     * that is the other CPU, and every round trip becomes a cross-CPU wake-up (10 us instead of 4.5
     * a system call for `tether run`; the poll-first order of {@link #waitAfterResume} misses here).
     */
    int yieldThenWait() {
        Sys.yield();
        int status = Sys.wait4(tid, WAIT_OPTIONS | Wait.WNOHANG);
        if (status != -1) {
            int sig = decodeStop(status);
            if (sig != 0) {
                return sig;
            }
        }
        return waitStop();
    }

    /** A PTRACE_EVENT_EXIT stop: the thread is dying; let it go, reap it and report why. */
    private StubDiedException exitEvent() {
        int msg;
        try {
            msg = (int) Sys.getEventMessage(tid);
        } catch (LinuxException e) {
            msg = 0x7f; // unknown
        }
        // The dying thread's registers are still readable in this stop (gVisor's dumpAndPanic dumps them too).
        Registers at;
        try {
            at = registers.get();
        } catch (LinuxException e) {
            at = null;
        }
        int status = msg;
        try {
            Sys.ptrace(Ptrace.PTRACE_CONT, tid, 0, 0);
            int st = reapIfReady();
            if (st != -1) {
                status = st;
            }
        } catch (LinuxException e) {
            // already gone
        }
        String where = at == null ? "" : "\nregisters at its PTRACE_EVENT_EXIT stop:\n" + at;
        return died(status == -1 ? msg : status, where);
    }

    private StubDeath died(int status, String registersText) {
        state.markDead(status);
        return new StubDeath("stub " + tgid + (tid != tgid ? " thread " + tid : "") + " " + state.death(),
                faults.describe() + registersText, tgid, tid, status);
    }

    /**
     * Reaps this thread if its end can be reported within {@link GroupReaper#EXIT_WAIT_NANOS},
     * resuming stops on the way; -1 if not. It waits for the exit on a pidfd
     * ({@link GroupReaper#awaitExit}), not a number of yields, which a loaded machine outlasts.
     * It never waits longer: a leader's exit is only reported once its other threads are reaped,
     * and those may be traced by idle Java threads ({@link GroupReaper}, which the teardown that
     * follows a death runs).
     */
    int reapIfReady() {
        long deadline = System.nanoTime() + GroupReaper.EXIT_WAIT_NANOS;
        for (int i = 0; i < 16; i++) {
            int status;
            try {
                status = Sys.wait4(tid, WAIT_OPTIONS | Wait.WNOHANG);
            } catch (LinuxException e) {
                if (e.errno() == Errno.ECHILD) {
                    state.setReaped();
                    return -1;
                }
                throw e;
            }
            if (status == -1) {
                if (!GroupReaper.awaitExit(tgid, tid, deadline)) {
                    return -1;
                }
                continue;
            }
            if (!Wait.stopped(status)) {
                state.setReaped();
                return status;
            }
            try {
                Sys.ptrace(Ptrace.PTRACE_CONT, tid, 0, 0);
            } catch (LinuxException e) {
                if (e.errno() != Errno.ESRCH) {
                    throw e;
                }
            }
        }
        return -1;
    }
}
