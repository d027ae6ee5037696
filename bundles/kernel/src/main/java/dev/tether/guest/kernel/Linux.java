package dev.tether.guest.kernel;

/**
 * The Linux user ABI constants the guest kernel uses that are the same on x86-64 and arm64 (the ones
 * that differ come from {@link dev.tether.guest.kernel.spi.LinuxAbi}). Each group names its header.
 */
final class Linux {
    private Linux() {
    }

    // include/uapi/asm-generic/errno-base.h and errno.h (the same on x86-64 and arm64)
    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int ESRCH = 3;
    static final int EINTR = 4;
    static final int EBADF = 9;
    static final int EAGAIN = 11;
    static final int ENOMEM = 12;
    static final int EACCES = 13;
    static final int EFAULT = 14;
    static final int EEXIST = 17;
    static final int ENODEV = 19;
    static final int ENOTDIR = 20;
    static final int EISDIR = 21;
    static final int EINVAL = 22;
    static final int EMFILE = 24;
    static final int ENOTTY = 25;
    static final int ESPIPE = 29;
    static final int EROFS = 30;
    static final int ERANGE = 34;
    static final int ENAMETOOLONG = 36;
    static final int ENOSYS = 38;
    static final int ELOOP = 40;
    static final int EOVERFLOW = 75;
    static final int ETIMEDOUT = 110;

    // include/uapi/asm-generic/fcntl.h (the flags that x86-64 and arm64 share)
    static final int O_ACCMODE = 3;
    static final int O_RDONLY = 0;
    static final int O_WRONLY = 1;
    static final int O_RDWR = 2;
    static final int O_CREAT = 0100;
    static final int O_EXCL = 0200;
    static final int O_NOCTTY = 0400;
    static final int O_TRUNC = 01000;
    static final int O_APPEND = 02000;
    static final int O_NONBLOCK = 04000;
    static final int O_CLOEXEC = 02000000;
    static final int O_PATH = 010000000;
    static final int O_TMPFILE_BASE = 020000000; // __O_TMPFILE
    static final int F_DUPFD = 0;
    static final int F_GETFD = 1;
    static final int F_SETFD = 2;
    static final int F_GETFL = 3;
    static final int F_SETFL = 4;
    static final int F_DUPFD_CLOEXEC = 1030; // F_LINUX_SPECIFIC_BASE + 6 (include/uapi/linux/fcntl.h)
    static final int FD_CLOEXEC = 1;

    // include/uapi/linux/fcntl.h
    static final int AT_FDCWD = -100;
    static final int AT_SYMLINK_NOFOLLOW = 0x100;
    static final int AT_EACCESS = 0x200;
    static final int AT_SYMLINK_FOLLOW = 0x400;
    static final int AT_NO_AUTOMOUNT = 0x800;
    static final int AT_EMPTY_PATH = 0x1000;
    static final int AT_STATX_SYNC_TYPE = 0x6000;

    // include/uapi/linux/stat.h
    static final int S_IFMT = 0170000;
    static final int S_IFSOCK = 0140000;
    static final int S_IFLNK = 0120000;
    static final int S_IFREG = 0100000;
    static final int S_IFBLK = 060000;
    static final int S_IFDIR = 040000;
    static final int S_IFCHR = 020000;
    static final int S_IFIFO = 010000;
    static final int STATX_BASIC_STATS = 0x7ff;

    // include/linux/fs.h (DT_* = S_IFMT >> 12)
    static final int DT_UNKNOWN = 0;

    // include/uapi/linux/fs.h
    static final int SEEK_SET = 0;
    static final int SEEK_CUR = 1;
    static final int SEEK_END = 2;

    // include/uapi/linux/limits.h
    static final int PATH_MAX = 4096;
    /** include/linux/namei.h MAXSYMLINKS. */
    static final int MAXSYMLINKS = 40;
    /** include/uapi/linux/uio.h UIO_MAXIOV. */
    static final int UIO_MAXIOV = 1024;
    /** include/linux/fs.h MAX_RW_COUNT = INT_MAX & PAGE_MASK: the most one read/write moves. */
    static final long MAX_RW_COUNT = 0x7ffff000L;

    // include/uapi/asm-generic/ioctls.h (used by x86-64 and arm64 alike)
    static final int TCGETS = 0x5401;
    static final int TIOCGWINSZ = 0x5413;

    // include/uapi/asm-generic/mman-common.h
    static final int MREMAP_MAYMOVE = 1;
    static final int MREMAP_FIXED = 2;
    static final int MADV_DONTNEED = 4;

    // include/uapi/linux/time.h
    static final int CLOCK_REALTIME = 0;
    static final int CLOCK_MONOTONIC = 1;
    static final int CLOCK_PROCESS_CPUTIME_ID = 2;
    static final int CLOCK_THREAD_CPUTIME_ID = 3;
    static final int CLOCK_MONOTONIC_RAW = 4;
    static final int CLOCK_REALTIME_COARSE = 5;
    static final int CLOCK_MONOTONIC_COARSE = 6;
    static final int CLOCK_BOOTTIME = 7;

    // include/uapi/linux/random.h
    static final int GRND_NONBLOCK = 1;
    static final int GRND_RANDOM = 2;
    static final int GRND_INSECURE = 4;

    // include/uapi/linux/futex.h
    static final int FUTEX_WAIT = 0;
    static final int FUTEX_WAKE = 1;
    static final int FUTEX_WAIT_BITSET = 9;
    static final int FUTEX_WAKE_BITSET = 10;
    static final int FUTEX_PRIVATE_FLAG = 128;
    static final int FUTEX_CLOCK_REALTIME = 256;

    // include/uapi/asm-generic/resource.h (x86-64 and arm64 use the generic numbering)
    static final int RLIMIT_STACK = 3;
    static final int RLIMIT_NOFILE = 7;
    static final int RLIM_NLIMITS = 16;
    static final long RLIM_INFINITY = -1L;

    // include/uapi/asm-generic/signal-defs.h
    static final int SIG_BLOCK = 0;
    static final int SIG_UNBLOCK = 1;
    static final int SIG_SETMASK = 2;
    /** sizeof(sigset_t) of the kernel on 64-bit arches (_NSIG / 8). */
    static final int SIGSET_SIZE = 8;
    /** sizeof(struct sigaction) of the kernel: handler, flags, restorer, mask (include/uapi/asm-generic/signal.h). */
    static final int SIGACTION_SIZE = 32;
    static final int NSIG = 64;
}
