package dev.tether.guest.kernel;

import java.util.Map;
import java.util.TreeMap;

/**
 * The guest's file descriptor table (the kernel's {@code struct files_struct}), in Java: guest fd
 * numbers map to {@link OpenFile}s, never to host fds. New fds take the lowest free number, as
 * open(2) says; at most {@link #limit()} (RLIMIT_NOFILE) are open.
 */
final class FdTable {
    private record Slot(OpenFile file, boolean cloexec) {
    }

    private final TreeMap<Integer, Slot> slots = new TreeMap<>();
    private int limit;

    FdTable(int limit) {
        this.limit = limit;
    }

    int limit() {
        return limit;
    }

    void setLimit(int limit) {
        this.limit = limit;
    }

    /** Installs {@code file} (taking over its reference) at the lowest free fd &gt;= {@code min}. */
    int install(OpenFile file, boolean cloexec, int min) {
        int fd = Math.max(min, 0);
        for (Integer used : slots.tailMap(fd, true).keySet()) {
            if (used != fd) {
                break;
            }
            fd++;
        }
        if (fd >= limit) {
            file.release();
            throw new SyscallError(Linux.EMFILE);
        }
        slots.put(fd, new Slot(file, cloexec));
        return fd;
    }

    /** @throws SyscallError EBADF */
    OpenFile get(long fd) {
        Slot s = fd < 0 || fd > Integer.MAX_VALUE ? null : slots.get((int) fd);
        if (s == null) {
            throw new SyscallError(Linux.EBADF);
        }
        return s.file();
    }

    boolean cloexec(int fd) {
        get(fd);
        return slots.get(fd).cloexec();
    }

    void setCloexec(int fd, boolean cloexec) {
        OpenFile f = get(fd);
        slots.put(fd, new Slot(f, cloexec));
    }

    void close(long fd) {
        get(fd);
        slots.remove((int) fd).file().release();
    }

    /** dup2/dup3: {@code newFd} refers to {@code oldFd}'s file (closing what it referred to). */
    int dupTo(long oldFd, long newFd, boolean cloexec) {
        OpenFile f = get(oldFd);
        if (newFd < 0 || newFd >= limit) {
            throw new SyscallError(Linux.EBADF);
        }
        if (oldFd == newFd) {
            return (int) newFd;
        }
        f.retain();
        Slot old = slots.put((int) newFd, new Slot(f, cloexec));
        if (old != null) {
            old.file().release();
        }
        return (int) newFd;
    }

    /** dup/F_DUPFD: the lowest free fd &gt;= {@code min} refers to {@code fd}'s file. */
    int dup(long fd, int min, boolean cloexec) {
        OpenFile f = get(fd);
        f.retain();
        return install(f, cloexec, min);
    }

    int size() {
        return slots.size();
    }

    /** Which fds are open (a copy; tests and the trace). */
    Map<Integer, String> open() {
        Map<Integer, String> m = new TreeMap<>();
        slots.forEach((fd, s) -> m.put(fd, s.file().name));
        return m;
    }

    /** Closes every fd (the guest ended). */
    void closeAll() {
        for (Slot s : slots.values()) {
            s.file().release();
        }
        slots.clear();
    }
}
