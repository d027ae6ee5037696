package dev.tether.abi;

/** clone flags: include/uapi/linux/sched.h. The low byte of the flags is the exit signal. */
public final class Clone {
    public static final long CLONE_VM = 0x100;
    public static final long CLONE_FS = 0x200;
    public static final long CLONE_FILES = 0x400;
    public static final long CLONE_SIGHAND = 0x800;
    public static final long CLONE_PTRACE = 0x2000;
    public static final long CLONE_THREAD = 0x10000;
    /** Mask of the exit signal in the clone flags (CSIGNAL). */
    public static final long CSIGNAL = 0xff;
    /** The flags of a stub thread (spec §5.2): FILES|FS|SIGHAND|THREAD|PTRACE|VM = 0x12f00. */
    public static final long STUB_THREAD_FLAGS = CLONE_FILES | CLONE_FS | CLONE_SIGHAND | CLONE_THREAD | CLONE_PTRACE | CLONE_VM;

    private Clone() {
    }
}
