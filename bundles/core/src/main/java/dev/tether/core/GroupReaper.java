package dev.tether.core;

import dev.tether.abi.Errno;
import dev.tether.abi.Ptrace;
import dev.tether.abi.Signals;
import dev.tether.abi.Wait;
import dev.tether.api.TetherException;
import dev.tether.linux.LinuxException;
import dev.tether.linux.Sys;
import java.io.File;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Kills a stub process and reaps every thread of it that this JVM traces, without ever blocking
 * in a wait: teardown must not hang, whatever state the process is in.
 *
 * <p>Why not simply wait for the leader: a thread group leader's exit is only reported once
 * every other thread of the group has been reaped (wait(2), ptrace(2) "BUGS": "the subsequent
 * WIFEXITED notification will not be delivered until all other threads exit"), and a killed
 * thread traced by a JVM thread stays a zombie until someone in the JVM waits for it. The other
 * stub threads of a subprocess are traced by the Java threads that called into it, which may be
 * idle forever, and a stub thread cloned by an injected {@code clone} is not known to Tether at
 * all. Any thread of the tracing thread group may wait for any of them (wait4(2) without
 * {@code __WNOTHREAD} looks at the tracees of every thread in the group), so this polls each
 * thread of the group, known or found in {@code /proc/<tgid>/task}, with {@code WNOHANG},
 * resuming the stops it can (a PTRACE_EVENT_EXIT stop of a tracee of the calling thread), until
 * the leader has been reaped or the deadline has passed.
 */
final class GroupReaper {
    /** How long a teardown may take before it gives up with an error (a dying process takes microseconds). */
    static final long TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** __WALL (clone children and threads too) | WUNTRACED | WNOHANG: never blocks. */
    private static final int POLL = Wait.__WALL | Wait.WUNTRACED | Wait.WNOHANG;

    private GroupReaper() {
    }

    /**
     * SIGKILLs process {@code tgid} and reaps its threads that this JVM traces or parents.
     *
     * @param known thread ids Tether knows of (the leader's is added); others are found in /proc
     * @param processGroup also reap tracees and children in the process group {@code tgid} (a
     *     stub created from the JVM leads its own session and process group, spec of setsid in
     *     the trampoline; never for a subprocess, whose group is the master's and holds live
     *     subprocesses)
     * @return the leader's wait status, or -1 when it was not this JVM's to reap (already reaped,
     *     or reaped by its real parent, the master, once untraced)
     * @throws TetherException if threads are left after {@link #TIMEOUT_NANOS}
     */
    static int killAndReap(int tgid, Collection<Integer> known, boolean processGroup) {
        try {
            Sys.tgkill(tgid, tgid, Signals.SIGKILL);
        } catch (LinuxException e) {
            if (e.errno() != Errno.ESRCH) {
                throw e;
            }
        }
        Set<Integer> pending = new LinkedHashSet<>(known);
        pending.add(tgid);
        long deadline = System.nanoTime() + TIMEOUT_NANOS;
        int leaderStatus = -1;
        int idleRounds = 0;
        while (true) {
            pending.addAll(tasks(tgid));
            boolean progress = false;
            List<Integer> order = new ArrayList<>(pending);
            order.remove((Integer) tgid);
            order.add(tgid); // the leader last: it is only reported once the others are gone
            for (int tid : order) {
                long r;
                try {
                    r = Sys.wait4Full(tid, POLL);
                } catch (LinuxException e) {
                    if (e.errno() != Errno.ECHILD) {
                        throw e;
                    }
                    pending.remove(tid); // not ours to wait for (any more): untraced or reaped
                    progress = true;
                    continue;
                }
                if (r == -1) {
                    continue;
                }
                int st = (int) r;
                progress = true;
                if (Wait.stopped(st)) {
                    resume(tid);
                } else {
                    pending.remove(tid);
                    if (tid == tgid) {
                        leaderStatus = st;
                    }
                }
            }
            if (processGroup) {
                progress |= reapGroup(tgid);
            }
            if (!pending.contains(tgid)) {
                return leaderStatus;
            }
            if (System.nanoTime() > deadline) {
                throw new TetherException("stub process " + tgid + " was SIGKILLed but threads " + pending
                        + " were still not reaped after " + TimeUnit.NANOSECONDS.toMillis(TIMEOUT_NANOS) + " ms");
            }
            idleRounds = progress ? 0 : idleRounds + 1;
            pause(idleRounds);
        }
    }

    /**
     * Reaps the threads of group {@code tgid} other than {@code except} that have exited
     * (zombies), whoever traces them: what a leader's wait does while it polls ({@code Tracee}),
     * since the leader's exit is only reported once they are gone. Each is looked at with WNOWAIT first and reaped only if what it reports is an exit: for a
     * tracee, wait reports ptrace stops whatever the options (wait(2): WUNTRACED is implied for
     * traced children), and consuming a stop here would leave its tracer waiting for it forever
     * (a stub thread just cloned with CLONE_PTRACE, whose first SIGSTOP its tracer awaits).
     *
     * <p>A thread held in its PTRACE_EVENT_EXIT stop is resumed, so that it can exit: if the
     * calling thread is its tracer, nobody else can, and the leader's exit is not reported before it is
     * gone. Seen when the process was killed (EXITKILL of a caller that ended) while this thread
     * injected the clone of a spare stub thread: the new thread, traced by this thread
     * (CLONE_PTRACE), died at birth and waited in its exit stop, the leader was already a zombie
     * whose exit stop this thread never saw (most likely a PTRACE_CONT meant to discard a signal
     * stop resumed it from its exit stop instead), and this thread polled the leader for ever.
     */
    static void reapExitedThreads(int tgid, int except) {
        for (int other : tasks(tgid)) {
            if (other == except) {
                continue;
            }
            try {
                long r = Sys.waitid(other, Wait.WEXITED | Wait.WNOHANG | Wait.WNOWAIT | Wait.__WALL);
                int code = r == -1 ? 0 : (int) (r >>> 32);
                if (code == Wait.CLD_EXITED || code == Wait.CLD_KILLED || code == Wait.CLD_DUMPED) {
                    Sys.wait4(other, POLL); // a zombie: reaps it, nothing else
                } else if (code == Wait.CLD_TRAPPED && ((int) r >> 8) == Ptrace.PTRACE_EVENT_EXIT) {
                    // ESRCH when it is another thread's tracee: that thread lets it go
                    Sys.ptrace(Ptrace.PTRACE_CONT, other, 0, 0);
                }
            } catch (LinuxException e) {
                // ECHILD: not traced by this JVM (a spare), or gone meanwhile; ESRCH: see above
            }
        }
    }

    /**
     * How long a dying thread's own tracer waits for its exit to become reportable
     * ({@link #awaitExit}) before it leaves the reaping to the teardown: a dying stub exits in
     * microseconds, and a loaded machine can delay that by milliseconds.
     */
    static final long EXIT_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** The first poll of {@link #awaitExit}, after which a leader with other threads left is given up on. */
    private static final int FIRST_POLL_MILLIS = 1;
    /** The longest later poll of {@link #awaitExit}. */
    private static final int EXIT_POLL_MILLIS = 10;

    /**
     * Blocks until thread {@code tid} of group {@code tgid} has exited so that a wait reports it,
     * but never past {@code deadline} ({@link System#nanoTime()}); whether it has (or is gone
     * already). It waits on a pidfd (pidfd_open(2)), which the kernel makes readable at the exit
     * itself: no number of yields or sleeps to outlast. For another thread than the leader a
     * {@code PIDFD_THREAD} pidfd (Linux 6.9). For the leader the pidfd of its group, readable once
     * the leader has exited and every other thread is gone, which is also when a wait reports the
     * leader (ptrace(2), BUGS); so if other threads are still there after the first millisecond,
     * this gives up at once: those may be zombies that their own tracers (callers of the
     * subprocess, possibly idle) are to reap, or the teardown that follows, and reaping them here
     * would take a caller's thread's death from its own wait. Without pidfds (ENOSYS before Linux
     * 5.3, EINVAL for {@code PIDFD_THREAD} before 6.9) it yields once and says whether the deadline
     * is still ahead: the caller polls, a bounded number of times.
     */
    static boolean awaitExit(int tgid, int tid, long deadline) {
        int fd;
        try {
            fd = Sys.pidfdOpen(tid, tid == tgid ? 0 : Sys.PIDFD_THREAD);
        } catch (LinuxException e) {
            if (e.errno() == Errno.ESRCH) {
                return true; // reaped already (by a teardown): the caller's wait says so
            }
            Sys.yield();
            return System.nanoTime() < deadline;
        }
        try {
            if (Sys.pollIn(fd, FIRST_POLL_MILLIS)) {
                return true;
            }
            if (tid == tgid && tasks(tgid).stream().anyMatch(t -> t != tgid)) {
                return false; // the leader waits for its other threads: the teardown's to reap
            }
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                int slice = (int) Math.min(EXIT_POLL_MILLIS, Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                if (Sys.pollIn(fd, slice)) {
                    return true;
                }
            }
        } finally {
            Sys.close(fd);
        }
    }

    /** Reaps what is ready in process group {@code pgid}; whether anything was. */
    private static boolean reapGroup(int pgid) {
        boolean any = false;
        while (true) {
            long r;
            try {
                r = Sys.wait4Full(-pgid, POLL);
            } catch (LinuxException e) {
                if (e.errno() == Errno.ECHILD) {
                    return any;
                }
                throw e;
            }
            if (r == -1) {
                return any;
            }
            any = true;
            if (Wait.stopped((int) r)) {
                resume((int) (r >>> 32));
            }
        }
    }

    /**
     * Lets a stopped, dying tracee go on (its PTRACE_EVENT_EXIT stop, or any stop it was in when
     * the SIGKILL came); only its tracer can, so ESRCH from another thread's tracee is ignored:
     * the SIGKILL wakes it from any other stop by itself.
     */
    private static void resume(int tid) {
        try {
            Sys.ptrace(Ptrace.PTRACE_CONT, tid, 0, 0);
        } catch (LinuxException e) {
            if (e.errno() != Errno.ESRCH) {
                throw e;
            }
        }
    }

    /** The thread ids in /proc/<tgid>/task (zombie threads included until reaped); empty once it is gone. */
    static List<Integer> tasks(int tgid) {
        String[] names = new File("/proc/" + tgid + "/task").list();
        List<Integer> out = new ArrayList<>();
        if (names != null) {
            for (String n : names) {
                try {
                    out.add(Integer.parseInt(n));
                } catch (NumberFormatException e) {
                    // not a thread id
                }
            }
        }
        return out;
    }

    /** Yields for the first rounds without news (a SIGKILLed thread exits in microseconds), then sleeps up to 0.2 ms. */
    private static void pause(int idleRounds) {
        if (idleRounds < 8) {
            Sys.yield();
        } else {
            LockSupport.parkNanos(Math.min(200_000L, 10_000L << Math.min(5, idleRounds - 8)));
        }
    }
}
