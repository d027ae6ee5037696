package dev.tether.trap;

import dev.tether.abi.Errno;
import dev.tether.abi.Signals;
import dev.tether.guest.GuestEvent;
import dev.tether.linux.LinuxException;
import dev.tether.linux.Sys;

/**
 * Whether a detached guest thread still exists, and if not, how it ended: an untraced thread leaves no
 * wait status to read (docs/trap.md, section 4, step 3: the liveness check after each timed-out wait).
 */
final class GuestThreadEnd {
    private GuestThreadEnd() {
    }

    /** Null while thread {@code tid} of process {@code pid} exists; else the Exited event that says how it ended. */
    static GuestEvent.Exited check(int pid, int tid) {
        try {
            Sys.tgkill(pid, tid, 0);
            return null;
        } catch (LinuxException e) {
            if (e.errno() != Errno.ESRCH) {
                throw e;
            }
        }
        // An untraced thread leaves no wait status to read: tell from what is left how it ended.
        boolean processLives;
        try {
            Sys.kill(pid, 0);
            processLives = !java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat")).contains(") Z ");
        } catch (LinuxException | java.io.IOException e) {
            processLives = false;
        }
        return processLives
                ? new GuestEvent.Exited(Signals.SIGSYS, "guest thread " + tid + " of subprocess " + pid
                        + " was killed alone (SIGSYS: the subprocess filter kills a thread for a call it made from the stub page)")
                : new GuestEvent.Exited(Signals.SIGKILL, "guest thread " + tid + " of subprocess " + pid
                        + " was killed with its subprocess (SIGKILL from outside, or the subprocess was destroyed)");
    }
}
