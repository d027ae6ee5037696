package dev.tether.abi;

/**
 * wait4 options (include/uapi/linux/wait.h) and the decoding of a wait status
 * (the W* macros of glibc's bits/waitstatus.h, which mirror the kernel's encoding).
 */
public final class Wait {
    public static final int WNOHANG = 0x1;
    public static final int WUNTRACED = 0x2;
    /** waitid: report stopped children (the same bit as WUNTRACED). */
    public static final int WSTOPPED = 0x2;
    /** waitid: report exited children. */
    public static final int WEXITED = 0x4;
    /** waitid: leave the child in a waitable state (do not reap or consume the event). */
    public static final int WNOWAIT = 0x01000000;
    /** waitid idtype: wait for the child whose pid is given. */
    public static final int P_PID = 1;
    /**
     * si_code of a SIGCHLD siginfo (include/uapi/asm-generic/siginfo.h): exited, killed, dumped
     * core, ptrace-trapped, stopped, continued.
     */
    public static final int CLD_EXITED = 1;
    public static final int CLD_KILLED = 2;
    public static final int CLD_DUMPED = 3;
    public static final int CLD_TRAPPED = 4;
    public static final int CLD_STOPPED = 5;
    public static final int CLD_CONTINUED = 6;
    /** Wait for any child, whatever its exit signal (clone children included). */
    public static final int __WALL = 0x40000000;

    private Wait() {
    }

    public static boolean exited(int status) { return (status & 0x7f) == 0; }

    public static int exitStatus(int status) { return (status >> 8) & 0xff; }

    public static boolean signaled(int status) {
        int t = status & 0x7f;
        return t != 0 && t != 0x7f;
    }

    public static int termSignal(int status) { return status & 0x7f; }

    public static boolean stopped(int status) { return (status & 0xff) == 0x7f; }

    public static int stopSignal(int status) { return (status >> 8) & 0xff; }

    /** The ptrace event of a stop ({@code status >> 16}), 0 for none. */
    public static int ptraceEvent(int status) { return (status >>> 16) & 0xff; }

    /** A readable description of a wait status. */
    public static String describe(int status) {
        if (exited(status)) {
            return "exited with status " + exitStatus(status);
        }
        if (stopped(status)) {
            int sig = stopSignal(status);
            int event = ptraceEvent(status);
            if (sig == (Signals.SIGTRAP | 0x80)) {
                return "stopped at a syscall (SIGTRAP|0x80)";
            }
            return "stopped by " + Signals.name(sig) + (event != 0 ? " (ptrace event " + event + ")" : "");
        }
        return "killed by " + Signals.name(termSignal(status)) + ((status & 0x80) != 0 ? " (core dumped)" : "");
    }
}
