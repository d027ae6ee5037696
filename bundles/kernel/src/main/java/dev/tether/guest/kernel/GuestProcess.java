package dev.tether.guest.kernel;

import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The kernel state of one guest process (single-threaded: its one task): identity, file descriptors,
 * the file name space, memory records, signal dispositions and mask (recorded only: no delivery yet),
 * resource limits, and the count of system calls it made that this kernel does not implement.
 */
public final class GuestProcess {
    /** The guest's view of itself: pid 1 with no parent, like the first process of a new pid namespace. */
    public static final int PID = 1;

    final FdTable fds;
    final ConfinedFs fs;
    final MemoryManager mm;
    final int[] credentials;
    String cwd = "/";
    /** The program's path as the guest sees it (what /proc/self/exe links to), once loaded. */
    String exe;
    /** The task's name (prctl PR_SET_NAME / PR_GET_NAME): at most TASK_COMM_LEN - 1 = 15 bytes. */
    byte[] comm = new byte[0];
    int umask = 022;
    /** The kernel's struct sigaction of each signal 1..64 (handler, flags, restorer, mask), as set. */
    final long[][] sigactions = new long[Linux.NSIG + 1][];
    long sigmask;
    final long[][] rlimits = new long[Linux.RLIM_NLIMITS][];
    long clearChildTid;
    long robustList;
    long robustListLength;
    private final Map<String, Integer> unknown = new TreeMap<>();

    GuestProcess(GuestMemory memory, List<Path> readOnlyDirs, InputStream in, PrintStream out, PrintStream err,
            int[] credentials) {
        this.mm = new MemoryManager(memory);
        this.fs = new ConfinedFs(readOnlyDirs);
        this.credentials = credentials.clone();
        for (int r = 0; r < rlimits.length; r++) {
            rlimits[r] = new long[] {Linux.RLIM_INFINITY, Linux.RLIM_INFINITY};
        }
        rlimits[Linux.RLIMIT_STACK] = new long[] {ElfLoader.STACK_SIZE, Linux.RLIM_INFINITY};
        // RLIMIT_NOFILE: INR_OPEN_CUR / INR_OPEN_MAX (include/uapi/linux/fs.h), the kernel's defaults
        rlimits[Linux.RLIMIT_NOFILE] = new long[] {1024, 4096};
        this.fds = new FdTable(1024);
        fds.install(new OpenFile.Input("stdin", in), false, 0);
        fds.install(new OpenFile.Output("stdout", out), false, 1);
        fds.install(new OpenFile.Output("stderr", err), false, 2);
    }

    /** The system calls made that this kernel does not implement, by name, with how often. */
    public Map<String, Integer> unknownSyscalls() {
        return new TreeMap<>(unknown);
    }

    /** The open guest fds and what they refer to. */
    public Map<Integer, String> openFiles() {
        return fds.open();
    }

    void countUnknown(String name) {
        unknown.merge(name, 1, Integer::sum);
    }

    /** Releases what the guest held (its files); its memory goes with its address space. */
    void close() {
        fds.closeAll();
    }
}
