package dev.tether.guest.kernel;

import dev.tether.guest.GuestEvent.Syscall;
import dev.tether.guest.kernel.spi.FileStat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;

/**
 * The file system calls of {@link MiniLinux}: the guest's fd table and the read-only directories it was
 * granted. Semantics from the man pages of each call (open(2), read(2), stat(2), statx(2), getdents64(2),
 * fcntl(2), dup(2), readlink(2), access(2)); a write anywhere in the guest's name space is EROFS.
 */
final class FileSyscalls {
    /** The most one read/write call moves here: a short count, which read(2) allows, bounds JVM memory. */
    static final int MAX_TRANSFER = 8 << 20;
    /** sizeof(struct statx) (include/uapi/linux/stat.h). */
    static final int STATX_SIZE = 256;

    private FileSyscalls() {
    }

    static void register(Map<String, SyscallHandler> h) {
        h.put("read", (t, c) -> value(read(t, c.arg(0), c.arg(1), c.arg(2), -1)));
        h.put("pread64", (t, c) -> value(read(t, c.arg(0), c.arg(1), c.arg(2), c.arg(3) < 0 ? -2 : c.arg(3))));
        h.put("write", (t, c) -> value(write(t, c.arg(0), c.arg(1), c.arg(2))));
        h.put("readv", FileSyscalls::readv);
        h.put("writev", FileSyscalls::writev);
        h.put("lseek", (t, c) -> value(io(() -> t.process().fds.get(c.arg(0)).seek(c.arg(1), (int) c.arg(2)))));
        h.put("close", (t, c) -> {
            t.process().fds.close(c.arg(0));
            return ok();
        });
        h.put("openat", (t, c) -> value(open(t, c.arg(0), t.readString(c.arg(1), Linux.PATH_MAX), (int) c.arg(2))));
        h.put("open", (t, c) -> value(open(t, Linux.AT_FDCWD, t.readString(c.arg(0), Linux.PATH_MAX), (int) c.arg(1))));
        h.put("fstat", (t, c) -> {
            writeStat(t, c.arg(1), io(() -> t.process().fds.get(c.arg(0)).stat()));
            return ok();
        });
        h.put("newfstatat", (t, c) -> {
            writeStat(t, c.arg(2), statAt(t, c.arg(0), c.arg(1), (int) c.arg(3)));
            return ok();
        });
        h.put("stat", (t, c) -> {
            writeStat(t, c.arg(1), statAt(t, Linux.AT_FDCWD, c.arg(0), 0));
            return ok();
        });
        h.put("lstat", (t, c) -> {
            writeStat(t, c.arg(1), statAt(t, Linux.AT_FDCWD, c.arg(0), Linux.AT_SYMLINK_NOFOLLOW));
            return ok();
        });
        h.put("statx", FileSyscalls::statx);
        h.put("getdents64", (t, c) -> {
            byte[] b = io(() -> t.process().fds.get(c.arg(0)).getdents((int) Math.min(c.arg(2), MAX_TRANSFER)));
            t.write(c.arg(1), b);
            return value(b.length);
        });
        h.put("readlinkat", (t, c) -> value(readlink(t, c.arg(0), c.arg(1), c.arg(2), c.arg(3))));
        h.put("readlink", (t, c) -> value(readlink(t, Linux.AT_FDCWD, c.arg(0), c.arg(1), c.arg(2))));
        h.put("access", (t, c) -> value(access(t, Linux.AT_FDCWD, c.arg(0), (int) c.arg(1), 0)));
        h.put("faccessat", (t, c) -> value(access(t, c.arg(0), c.arg(1), (int) c.arg(2), 0)));
        h.put("faccessat2", (t, c) -> value(access(t, c.arg(0), c.arg(1), (int) c.arg(2), (int) c.arg(3))));
        h.put("fcntl", (t, c) -> value(fcntl(t, c.arg(0), (int) c.arg(1), c.arg(2))));
        h.put("dup", (t, c) -> value(t.process().fds.dup(c.arg(0), 0, false)));
        h.put("dup2", (t, c) -> value(t.process().fds.dupTo(c.arg(0), c.arg(1), false)));
        h.put("dup3", (t, c) -> {
            if (c.arg(0) == c.arg(1) || (c.arg(2) & ~Linux.O_CLOEXEC) != 0) {
                return SyscallResult.errno(Linux.EINVAL);
            }
            return value(t.process().fds.dupTo(c.arg(0), c.arg(1), (c.arg(2) & Linux.O_CLOEXEC) != 0));
        });
        h.put("ioctl", (t, c) -> {
            t.process().fds.get(c.arg(0));
            // no guest fd is a terminal: TCGETS, TIOCGWINSZ and every other request are ENOTTY (ioctl(2))
            return SyscallResult.errno(Linux.ENOTTY);
        });
        h.put("getcwd", (t, c) -> {
            byte[] s = (t.process().cwd + "\0").getBytes(StandardCharsets.UTF_8);
            if (c.arg(1) < s.length) {
                return SyscallResult.errno(Linux.ERANGE);
            }
            t.write(c.arg(0), s);
            return value(s.length);
        });
        h.put("chdir", (t, c) -> {
            ConfinedFs.Resolved r = resolve(t, Linux.AT_FDCWD, t.readString(c.arg(0), Linux.PATH_MAX), true);
            if (!r.synthetic() && !ConfinedFs.lstat(r.hostPath()).isDirectory()) {
                return SyscallResult.errno(Linux.ENOTDIR);
            }
            t.process().cwd = r.guestPath();
            return ok();
        });
        h.put("fchdir", (t, c) -> {
            if (!(t.process().fds.get(c.arg(0)) instanceof OpenFile.Directory d)) {
                return SyscallResult.errno(Linux.ENOTDIR);
            }
            t.process().cwd = d.name;
            return ok();
        });
        h.put("umask", (t, c) -> {
            int old = t.process().umask;
            t.process().umask = (int) c.arg(0) & 0777;
            return value(old);
        });
        h.put("sendfile", FileSyscalls::sendfile);
    }

    static SyscallResult value(long v) {
        return SyscallResult.value(v);
    }

    static SyscallResult ok() {
        return SyscallResult.value(0);
    }

    interface IoCall<T> {
        T run() throws IOException;
    }

    /** Runs host I/O: an IOException is EIO for the guest. */
    static <T> T io(IoCall<T> call) {
        try {
            return call.run();
        } catch (IOException e) {
            throw new SyscallError(dev.tether.abi.Errno.EIO);
        }
    }

    /** read(2) when {@code offset} is -1, pread64(2) otherwise (-2: a negative offset, EINVAL). */
    static long read(Task t, long fd, long buf, long count, long offset) {
        OpenFile f = t.process().fds.get(fd);
        if (offset == -2 || count < 0) {
            throw new SyscallError(Linux.EINVAL);
        }
        if ((f.statusFlags & Linux.O_ACCMODE) == Linux.O_WRONLY) {
            throw new SyscallError(Linux.EBADF);
        }
        byte[] b = new byte[(int) Math.min(count, MAX_TRANSFER)];
        int n = io(() -> offset == -1 ? f.read(b, b.length) : f.pread(b, b.length, offset));
        t.memory().write(buf, b, 0, n);
        return n;
    }

    static long write(Task t, long fd, long buf, long count) {
        OpenFile f = t.process().fds.get(fd);
        if (count < 0) {
            throw new SyscallError(Linux.EINVAL);
        }
        if ((f.statusFlags & Linux.O_ACCMODE) == Linux.O_RDONLY) {
            throw new SyscallError(Linux.EBADF);
        }
        byte[] b = t.read(buf, (int) Math.min(count, MAX_TRANSFER));
        return io(() -> f.write(b, b.length));
    }

    private static long[] iovecs(Task t, long iov, long count) {
        if (count < 0 || count > Linux.UIO_MAXIOV) {
            throw new SyscallError(Linux.EINVAL);
        }
        long[] v = new long[(int) count * 2];
        if (count > 0) {
            ByteBuffer b = ByteBuffer.wrap(t.read(iov, (int) count * 16)).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < v.length; i++) {
                v[i] = b.getLong();
            }
        }
        return v;
    }

    static SyscallResult readv(Task t, Syscall c) {
        OpenFile f = t.process().fds.get(c.arg(0));
        long[] v = iovecs(t, c.arg(1), c.arg(2));
        long total = 0;
        for (int i = 0; i < v.length; i += 2) {
            if (v[i + 1] == 0) {
                continue;
            }
            long n = read(t, c.arg(0), v[i], v[i + 1], -1);
            total += n;
            if (n < v[i + 1] || f instanceof OpenFile.Input) {
                break; // a short read ends it; a stream gives what it has without waiting for more
            }
        }
        return value(total);
    }

    static SyscallResult writev(Task t, Syscall c) {
        t.process().fds.get(c.arg(0));
        long[] v = iovecs(t, c.arg(1), c.arg(2));
        long total = 0;
        for (int i = 0; i < v.length; i += 2) {
            if (v[i + 1] < 0 || total + v[i + 1] > MAX_TRANSFER) {
                if (total == 0) {
                    throw new SyscallError(Linux.EINVAL);
                }
                break;
            }
            total += v[i + 1];
        }
        byte[] all = new byte[(int) total];
        int at = 0;
        for (int i = 0; i < v.length && at < total; i += 2) {
            int n = (int) Math.min(v[i + 1], total - at);
            t.memory().read(v[i], all, at, n);
            at += n;
        }
        OpenFile f = t.process().fds.get(c.arg(0));
        if ((f.statusFlags & Linux.O_ACCMODE) == Linux.O_RDONLY) {
            throw new SyscallError(Linux.EBADF);
        }
        return value(io(() -> f.write(all, all.length)));
    }

    /** The guest path {@code path} names, relative to {@code dirfd} (or the cwd) when relative. */
    static ConfinedFs.Resolved resolve(Task t, long dirfd, String path, boolean follow) {
        if (path.isEmpty()) {
            throw new SyscallError(Linux.ENOENT);
        }
        String abs;
        if (path.startsWith("/")) {
            abs = path;
        } else if ((int) dirfd == Linux.AT_FDCWD) {
            abs = t.process().cwd + "/" + path;
        } else if (t.process().fds.get(dirfd) instanceof OpenFile.Directory d) {
            abs = d.name + "/" + path;
        } else {
            throw new SyscallError(Linux.ENOTDIR);
        }
        return t.process().fs.resolve(abs, follow);
    }

    static long open(Task t, long dirfd, String path, int flags) {
        int acc = flags & Linux.O_ACCMODE;
        boolean writes = acc != Linux.O_RDONLY || (flags & (Linux.O_CREAT | Linux.O_TRUNC | Linux.O_TMPFILE_BASE)) != 0;
        boolean follow = (flags & t.abi().openNoFollowFlag()) == 0;
        ConfinedFs.Resolved r;
        try {
            r = resolve(t, dirfd, path, follow);
        } catch (SyscallError e) {
            if (e.errno == Linux.ENOENT && (flags & Linux.O_CREAT) != 0) {
                String parent = path.contains("/") ? path.substring(0, path.lastIndexOf('/') + 1) : ".";
                try {
                    resolve(t, dirfd, parent.isEmpty() ? "/" : parent, true);
                    throw new SyscallError(Linux.EROFS); // it would be created in the guest's read-only name space
                } catch (SyscallError parentMissing) {
                    throw parentMissing.errno == Linux.EROFS ? parentMissing : e;
                }
            }
            throw e;
        }
        if (writes) {
            throw new SyscallError(Linux.EROFS);
        }
        boolean directory;
        if (r.synthetic()) {
            directory = true;
        } else {
            BasicFileAttributes a = ConfinedFs.lstat(r.hostPath());
            if (a.isSymbolicLink()) {
                throw new SyscallError(Linux.ELOOP); // O_NOFOLLOW on a link (open(2))
            }
            if (!a.isDirectory() && !a.isRegularFile()) {
                throw new SyscallError(Linux.EACCES); // devices, FIFOs, sockets are never opened on the host
            }
            directory = a.isDirectory();
        }
        if ((flags & t.abi().openDirectoryFlag()) != 0 && !directory) {
            throw new SyscallError(Linux.ENOTDIR);
        }
        int status = flags & (Linux.O_ACCMODE | Linux.O_APPEND | Linux.O_NONBLOCK | t.abi().openLargeFileFlag()
                | t.abi().openDirectoryFlag() | t.abi().openNoFollowFlag() | Linux.O_PATH);
        OpenFile f;
        if (directory) {
            f = new OpenFile.Directory(r.guestPath(), r.hostPath(), t.process().fs, status);
        } else {
            FileChannel ch = io(() -> FileChannel.open(r.hostPath(), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS));
            f = new OpenFile.HostFile(r.guestPath(), r.hostPath(), ch, status);
        }
        return t.process().fds.install(f, (flags & Linux.O_CLOEXEC) != 0, 0);
    }

    /** stat of {@code pathAddress} relative to {@code dirfd}, or of the fd itself with AT_EMPTY_PATH and "". */
    static FileStat statAt(Task t, long dirfd, long pathAddress, int flags) {
        if ((flags & ~(Linux.AT_SYMLINK_NOFOLLOW | Linux.AT_EMPTY_PATH | Linux.AT_NO_AUTOMOUNT
                | Linux.AT_STATX_SYNC_TYPE)) != 0) {
            throw new SyscallError(Linux.EINVAL);
        }
        String path = t.readString(pathAddress, Linux.PATH_MAX);
        if (path.isEmpty() && (flags & Linux.AT_EMPTY_PATH) != 0) {
            if ((int) dirfd == Linux.AT_FDCWD) {
                path = t.process().cwd;
            } else {
                return io(() -> t.process().fds.get(dirfd).stat());
            }
        }
        ConfinedFs.Resolved r = resolve(t, dirfd, path, (flags & Linux.AT_SYMLINK_NOFOLLOW) == 0);
        return r.synthetic() ? HostStat.synthetic(r.guestPath()) : io(() -> HostStat.of(r.hostPath(), false));
    }

    static void writeStat(Task t, long address, FileStat st) {
        ByteBuffer b = ByteBuffer.allocate(t.abi().statSize()).order(ByteOrder.LITTLE_ENDIAN);
        t.abi().encodeStat(st, b);
        t.write(address, b.array());
    }

    static SyscallResult statx(Task t, Syscall c) {
        FileStat st = statAt(t, c.arg(0), c.arg(1), (int) c.arg(2));
        t.write(c.arg(4), encodeStatx(st));
        return ok();
    }

    /** struct statx (include/uapi/linux/stat.h), STATX_BASIC_STATS filled, the same on every arch. */
    static byte[] encodeStatx(FileStat st) {
        ByteBuffer b = ByteBuffer.allocate(STATX_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, Linux.STATX_BASIC_STATS); // stx_mask
        b.putInt(4, st.blksize());
        b.putLong(8, 0); // stx_attributes
        b.putInt(16, (int) st.nlink());
        b.putInt(20, st.uid());
        b.putInt(24, st.gid());
        b.putShort(28, (short) st.mode());
        b.putLong(32, st.ino());
        b.putLong(40, st.size());
        b.putLong(48, st.blocks());
        b.putLong(56, 0); // stx_attributes_mask
        timestamp(b, 64, st.atimeSec(), st.atimeNsec());
        // stx_btime (80) stays zero: STATX_BTIME is not in the mask
        timestamp(b, 96, st.ctimeSec(), st.ctimeNsec());
        timestamp(b, 112, st.mtimeSec(), st.mtimeNsec());
        b.putInt(128, (int) FileStat.major(st.rdev()));
        b.putInt(132, (int) FileStat.minor(st.rdev()));
        b.putInt(136, (int) FileStat.major(st.dev()));
        b.putInt(140, (int) FileStat.minor(st.dev()));
        return b.array();
    }

    /** struct statx_timestamp: s64 tv_sec, u32 tv_nsec, s32 reserved. */
    private static void timestamp(ByteBuffer b, int at, long sec, long nsec) {
        b.putLong(at, sec);
        b.putInt(at + 8, (int) nsec);
    }

    static long readlink(Task t, long dirfd, long pathAddress, long buf, long size) {
        if (size <= 0) {
            throw new SyscallError(Linux.EINVAL);
        }
        String path = t.readString(pathAddress, Linux.PATH_MAX);
        if (t.process().exe != null && (path.equals("/proc/self/exe") || path.equals("/proc/" + GuestProcess.PID + "/exe"))) {
            // the one /proc link libcs ask for (glibc's _dl_get_origin, busybox finding itself): the program's path
            byte[] exe = t.process().exe.getBytes(StandardCharsets.UTF_8);
            int n = (int) Math.min(exe.length, size);
            t.memory().write(buf, exe, 0, n);
            return n;
        }
        ConfinedFs.Resolved r = resolve(t, dirfd, path, false);
        if (r.synthetic() || !ConfinedFs.lstat(r.hostPath()).isSymbolicLink()) {
            throw new SyscallError(Linux.EINVAL);
        }
        byte[] target = io(() -> Files.readSymbolicLink(r.hostPath())).toString().getBytes(StandardCharsets.UTF_8);
        int n = (int) Math.min(target.length, size);
        t.memory().write(buf, target, 0, n);
        return n;
    }

    static long access(Task t, long dirfd, long pathAddress, int mode, int flags) {
        // F_OK 0, X_OK 1, W_OK 2, R_OK 4 (include/uapi/linux/fcntl.h via unistd.h)
        if ((mode & ~7) != 0 || (flags & ~(Linux.AT_EACCESS | Linux.AT_SYMLINK_NOFOLLOW | Linux.AT_EMPTY_PATH)) != 0) {
            throw new SyscallError(Linux.EINVAL);
        }
        FileStat st = statAt(t, dirfd, pathAddress, flags & (Linux.AT_SYMLINK_NOFOLLOW | Linux.AT_EMPTY_PATH));
        if ((mode & 2) != 0) {
            throw new SyscallError(Linux.EROFS);
        }
        boolean dir = (st.mode() & Linux.S_IFMT) == Linux.S_IFDIR;
        if ((mode & 1) != 0 && !dir && (st.mode() & 0111) == 0) {
            throw new SyscallError(Linux.EACCES);
        }
        return 0;
    }

    static long fcntl(Task t, long fd, int cmd, long arg) {
        FdTable fds = t.process().fds;
        OpenFile f = fds.get(fd);
        switch (cmd) {
            case Linux.F_DUPFD:
            case Linux.F_DUPFD_CLOEXEC:
                if (arg < 0 || arg >= fds.limit()) {
                    throw new SyscallError(Linux.EINVAL);
                }
                return fds.dup(fd, (int) arg, cmd == Linux.F_DUPFD_CLOEXEC);
            case Linux.F_GETFD:
                return fds.cloexec((int) fd) ? Linux.FD_CLOEXEC : 0;
            case Linux.F_SETFD:
                fds.setCloexec((int) fd, (arg & Linux.FD_CLOEXEC) != 0);
                return 0;
            case Linux.F_GETFL:
                return f.statusFlags;
            case Linux.F_SETFL:
                // only O_APPEND and O_NONBLOCK (and flags this kernel ignores) change (fcntl(2))
                f.statusFlags = (f.statusFlags & ~(Linux.O_APPEND | Linux.O_NONBLOCK))
                        | (int) (arg & (Linux.O_APPEND | Linux.O_NONBLOCK));
                return 0;
            default:
                throw new SyscallError(Linux.EINVAL);
        }
    }

    static SyscallResult sendfile(Task t, Syscall c) {
        OpenFile out = t.process().fds.get(c.arg(0));
        OpenFile in = t.process().fds.get(c.arg(1));
        long count = c.arg(3);
        if (count < 0) {
            return SyscallResult.errno(Linux.EINVAL);
        }
        byte[] b = new byte[(int) Math.min(count, MAX_TRANSFER)];
        int n;
        if (c.arg(2) != 0) {
            long offset = t.readLong(c.arg(2));
            n = io(() -> in.pread(b, b.length, offset));
            t.writeLong(c.arg(2), offset + n);
        } else {
            n = io(() -> in.read(b, b.length));
        }
        return value(n == 0 ? 0 : io(() -> out.write(b, n)));
    }
}
