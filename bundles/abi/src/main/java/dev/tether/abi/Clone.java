package dev.tether.abi;

/** clone flags: include/uapi/linux/sched.h. The low byte of the flags is the exit signal. */
public final class Clone {
    public static final long CLONE_VM = 0x100;
    public static final long CLONE_FS = 0x200;
    public static final long CLONE_FILES = 0x400;
    public static final long CLONE_SIGHAND = 0x800;
    public static final long CLONE_PIDFD = 0x1000;
    public static final long CLONE_PTRACE = 0x2000;
    public static final long CLONE_VFORK = 0x4000;
    public static final long CLONE_PARENT = 0x8000;
    public static final long CLONE_THREAD = 0x10000;
    public static final long CLONE_NEWNS = 0x20000;
    public static final long CLONE_SYSVSEM = 0x40000;
    public static final long CLONE_SETTLS = 0x80000;
    public static final long CLONE_PARENT_SETTID = 0x100000;
    public static final long CLONE_CHILD_CLEARTID = 0x200000;
    public static final long CLONE_DETACHED = 0x400000;
    public static final long CLONE_UNTRACED = 0x800000;
    public static final long CLONE_CHILD_SETTID = 0x1000000;
    public static final long CLONE_NEWCGROUP = 0x2000000;
    public static final long CLONE_NEWUTS = 0x4000000;
    public static final long CLONE_NEWIPC = 0x8000000;
    public static final long CLONE_NEWUSER = 0x10000000;
    public static final long CLONE_NEWPID = 0x20000000;
    public static final long CLONE_NEWNET = 0x40000000;
    public static final long CLONE_IO = 0x80000000L;
    /** Mask of the exit signal in the clone flags (CSIGNAL). */
    public static final long CSIGNAL = 0xff;
    /** The flags of a stub thread (gVisor subprocess_linux.go, createStub and the clone rule of attachedThread): FILES|FS|SIGHAND|THREAD|PTRACE|VM = 0x12f00. */
    public static final long STUB_THREAD_FLAGS = CLONE_FILES | CLONE_FS | CLONE_SIGHAND | CLONE_THREAD | CLONE_PTRACE | CLONE_VM;

    private static final String[] NAMES = {
        null, null, null, null, null, null, null, null, // bits 0..7: the exit signal
        "CLONE_VM", "CLONE_FS", "CLONE_FILES", "CLONE_SIGHAND", "CLONE_PIDFD", "CLONE_PTRACE", "CLONE_VFORK",
        "CLONE_PARENT", "CLONE_THREAD", "CLONE_NEWNS", "CLONE_SYSVSEM", "CLONE_SETTLS", "CLONE_PARENT_SETTID",
        "CLONE_CHILD_CLEARTID", "CLONE_DETACHED", "CLONE_UNTRACED", "CLONE_CHILD_SETTID", "CLONE_NEWCGROUP",
        "CLONE_NEWUTS", "CLONE_NEWIPC", "CLONE_NEWUSER", "CLONE_NEWPID", "CLONE_NEWNET", "CLONE_IO",
    };

    private Clone() {
    }

    /** The flag bits above the exit signal by name, e.g. {@code CLONE_VM|CLONE_SIGHAND}; unknown bits in hex. */
    public static String describeFlags(long flags) {
        StringBuilder b = new StringBuilder();
        long unknown = 0;
        for (int bit = 8; bit < 64; bit++) {
            if ((flags >>> bit & 1) == 0) {
                continue;
            }
            if (bit < NAMES.length) {
                b.append(b.length() == 0 ? "" : "|").append(NAMES[bit]);
            } else {
                unknown |= 1L << bit;
            }
        }
        if (unknown != 0) {
            b.append(b.length() == 0 ? "" : "|").append("0x").append(Long.toHexString(unknown));
        }
        return b.length() == 0 ? "none" : b.toString();
    }
}
