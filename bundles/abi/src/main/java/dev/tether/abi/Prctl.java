package dev.tether.abi;

/** prctl options: include/uapi/linux/prctl.h; seccomp(2) constants: include/uapi/linux/seccomp.h. */
public final class Prctl {
    public static final int PR_SET_PDEATHSIG = 1;
    public static final int PR_GET_NO_NEW_PRIVS = 39;
    public static final int PR_SET_NO_NEW_PRIVS = 38;
    public static final int PR_GET_SECCOMP = 21;
    /** Drops one capability from the calling thread's bounding set (needs CAP_SETPCAP). */
    public static final int PR_CAPBSET_DROP = 24;
    /** seccomp(2) operation: install a filter. */
    public static final int SECCOMP_SET_MODE_FILTER = 1;
    /** seccomp(2) operation: is this action available? */
    public static final int SECCOMP_GET_ACTION_AVAIL = 2;
    /** seccomp(2) filter flag: apply to all threads. */
    public static final int SECCOMP_FILTER_FLAG_TSYNC = 1;
    /** Per-thread restartable sequences: include/uapi/linux/rseq.h. */
    public static final int RSEQ_FLAG_UNREGISTER = 1;

    private Prctl() {
    }
}
