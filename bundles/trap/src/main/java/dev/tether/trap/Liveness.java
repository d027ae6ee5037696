package dev.tether.trap;

import dev.tether.abi.Errno;
import dev.tether.abi.Signals;
import dev.tether.api.SyscallFailedException;
import dev.tether.guest.GuestEvent;
import dev.tether.linux.LinuxException;
import dev.tether.linux.Sys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether a trap subprocess still lives, for the ends Java learns of only by asking: an untraced guest
 * thread leaves no wait status to read (docs/trap.md, section 4, step 3).
 */
final class Liveness {
    /** How long a failed set-up call waits for a killed subprocess to show as dead (the kernel tears threads down one by one). */
    static final long SETTLE_MILLIS = 1000;

    private Liveness() {
    }

    /** Whether process {@code pid} exists and is no zombie ({@code proc(5)}, /proc/pid/stat field 3, state Z). */
    static boolean processLives(int pid) {
        try {
            Sys.kill(pid, 0);
            return !Files.readString(Path.of("/proc/" + pid + "/stat")).contains(") Z ");
        } catch (LinuxException | IOException e) {
            return false;
        }
    }

    /**
     * Null while thread {@code tid} of process {@code pid} exists; else the Exited event that says how it
     * ended (the liveness check after each timed-out wait).
     */
    static GuestEvent.Exited threadEnd(int pid, int tid) {
        try {
            Sys.tgkill(pid, tid, 0);
            return null;
        } catch (LinuxException e) {
            if (e.errno() != Errno.ESRCH) {
                throw e;
            }
        }
        return processLives(pid)
                ? new GuestEvent.Exited(Signals.SIGSYS, "guest thread " + tid + " of subprocess " + pid
                        + " was killed alone (SIGSYS: the subprocess filter kills a thread for a call it made from the stub page)")
                : new GuestEvent.Exited(Signals.SIGKILL, "guest thread " + tid + " of subprocess " + pid
                        + " was killed with its subprocess (SIGKILL from outside, or the subprocess was destroyed)");
    }

    /**
     * A call setting up a new guest thread failed: if subprocess {@code pid} was killed meanwhile (a
     * SIGKILL from outside, as a running guest can get one), the Exited event that a kill while the guest
     * runs gives too; if it still lives, the failure itself.
     */
    static GuestEvent.Exited killedDuringSetUp(int pid, RuntimeException failure) {
        if (failure instanceof SyscallFailedException f && (f.errno() == Errno.EINVAL || f.errno() == Errno.EIO)) {
            // a value the kernel refused (an FP state Java set, a register PTRACE_SETREGS answers EIO for): no kill makes that
            throw failure;
        }
        long deadline = System.nanoTime() + SETTLE_MILLIS * 1_000_000;
        while (processLives(pid)) {
            if (System.nanoTime() > deadline) {
                throw failure;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw failure;
            }
        }
        return new GuestEvent.Exited(Signals.SIGKILL, "subprocess " + pid + " was killed (SIGKILL from outside, or destroyed) while "
                + "its guest thread was set up (" + failure.getMessage() + ")");
    }
}
