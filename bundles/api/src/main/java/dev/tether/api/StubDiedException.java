package dev.tether.api;

/**
 * A stub process or thread died (or was found dead) while Tether used it: killed by seccomp
 * (SIGSYS), by a user or the OOM killer (SIGKILL), or exited. The stub is gone; its handle is
 * closed.
 */
public class StubDiedException extends TetherException {
    private static final long serialVersionUID = 1L;
    private final int pid;
    private final int tid;
    private final int waitStatus;

    public StubDiedException(String message, int pid, int tid, int waitStatus) {
        super(message);
        this.pid = pid;
        this.tid = tid;
        this.waitStatus = waitStatus;
    }

    public int pid() { return pid; }

    public int tid() { return tid; }

    /** The wait(2) status that reported the death (e.g. 0x1f: killed by SIGSYS). */
    public int waitStatus() { return waitStatus; }

    /** The signal that killed the thread, or 0 if it exited. */
    public int termSignal() {
        int t = waitStatus & 0x7f;
        return t == 0x7f ? 0 : t;
    }
}
