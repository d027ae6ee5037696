package dev.tether.guest.kernel;

import static dev.tether.guest.kernel.SyscallTracer.Arg.*;

import dev.tether.abi.Errno;
import dev.tether.abi.Signals;
import dev.tether.guest.GuestEvent;
import dev.tether.guest.kernel.spi.LinuxAbi;
import dev.tether.seccomp.SyscallTable;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Formats a guest's system calls as strace(1) prints them: {@code openat(AT_FDCWD, "/x", O_RDONLY) = 3},
 * {@code read(3, "abc", 4096) = 3}, {@code brk(NULL) = 0x4c7000}, {@code open("/y", O_RDONLY) = -1 ENOENT}.
 * Each system call has its list of argument kinds: paths and buffers are read from guest memory (after
 * the call, so a read's buffer shows what was read), the common flags are decoded by name. A system
 * call without a list shows six hex arguments. The lists are resolved once to a table by number.
 */
public final class SyscallTracer {
    /** How an argument is shown. */
    enum Arg {
        INT, UINT, HEX, PTR, FD, DIRFD, PATH,
        /** a buffer the call reads, its length the next argument */
        BUF_IN,
        /** a buffer the call fills, its length the result */
        BUF_OUT,
        OPEN_FLAGS, MODE_IF_CREAT, PROT, MAP_FLAGS, AT_FLAGS, WHENCE, CLOCK, SIGNAL, SIGHOW, FCNTL, IOCTL,
        RESOURCE, FUTEX_OP, ACCESS, OCTAL
    }

    /** strace's default string limit (-s 32). */
    static final int STRING_LIMIT = 32;

    private static final Map<String, Arg[]> SPECS = new HashMap<>();

    private static void spec(String name, Arg... args) {
        SPECS.put(name, args);
    }

    static {
        spec("read", FD, BUF_OUT, UINT);
        spec("write", FD, BUF_IN, UINT);
        spec("pread64", FD, BUF_OUT, UINT, INT);
        spec("readv", FD, PTR, INT);
        spec("writev", FD, PTR, INT);
        spec("openat", DIRFD, PATH, OPEN_FLAGS, MODE_IF_CREAT);
        spec("open", PATH, OPEN_FLAGS, MODE_IF_CREAT);
        spec("close", FD);
        spec("fstat", FD, PTR);
        spec("newfstatat", DIRFD, PATH, PTR, AT_FLAGS);
        spec("stat", PATH, PTR);
        spec("lstat", PATH, PTR);
        spec("statx", DIRFD, PATH, AT_FLAGS, HEX, PTR);
        spec("lseek", FD, INT, WHENCE);
        spec("getdents64", FD, PTR, UINT);
        spec("readlinkat", DIRFD, PATH, BUF_OUT, UINT);
        spec("readlink", PATH, BUF_OUT, UINT);
        spec("access", PATH, ACCESS);
        spec("faccessat", DIRFD, PATH, ACCESS);
        spec("faccessat2", DIRFD, PATH, ACCESS, AT_FLAGS);
        spec("fcntl", FD, FCNTL, HEX);
        spec("dup", FD);
        spec("dup2", FD, FD);
        spec("dup3", FD, FD, OPEN_FLAGS);
        spec("ioctl", FD, IOCTL, PTR);
        spec("getcwd", PTR, UINT);
        spec("chdir", PATH);
        spec("fchdir", FD);
        spec("umask", OCTAL);
        spec("sendfile", FD, FD, PTR, UINT);
        spec("brk", PTR);
        spec("mmap", PTR, UINT, PROT, MAP_FLAGS, FD, HEX);
        spec("munmap", PTR, UINT);
        spec("mprotect", PTR, UINT, PROT);
        spec("mremap", PTR, UINT, UINT, HEX, PTR);
        spec("madvise", PTR, UINT, INT);
        spec("exit", INT);
        spec("exit_group", INT);
        for (String n : new String[] {"getpid", "gettid", "getppid", "getuid", "geteuid", "getgid", "getegid",
            "getpgrp", "sched_yield", "fork", "vfork"}) {
            spec(n);
        }
        spec("getpgid", INT);
        spec("getsid", INT);
        spec("set_tid_address", PTR);
        spec("set_robust_list", PTR, UINT);
        spec("rseq", PTR, UINT, HEX, HEX);
        spec("arch_prctl", HEX, PTR);
        spec("uname", PTR);
        spec("prctl", INT, PTR);
        spec("getrandom", PTR, UINT, HEX);
        spec("clock_gettime", CLOCK, PTR);
        spec("clock_getres", CLOCK, PTR);
        spec("gettimeofday", PTR, PTR);
        spec("time", PTR);
        spec("nanosleep", PTR, PTR);
        spec("clock_nanosleep", CLOCK, HEX, PTR, PTR);
        spec("prlimit64", INT, RESOURCE, PTR, PTR);
        spec("getrlimit", RESOURCE, PTR);
        spec("setrlimit", RESOURCE, PTR);
        spec("rt_sigaction", SIGNAL, PTR, PTR, UINT);
        spec("rt_sigprocmask", SIGHOW, PTR, PTR, UINT);
        spec("sigaltstack", PTR, PTR);
        spec("futex", PTR, FUTEX_OP, INT);
        spec("clone", HEX, PTR, PTR, PTR, HEX);
        spec("clone3", PTR, UINT);
        spec("execve", PATH, PTR, PTR);
        spec("execveat", DIRFD, PATH, PTR, PTR, AT_FLAGS);
        spec("tgkill", INT, INT, SIGNAL);
        spec("kill", INT, SIGNAL);
    }

    private final LinuxAbi abi;
    private final String[] names;
    private final Arg[][] byNumber;

    public SyscallTracer(SyscallTable table, LinuxAbi abi) {
        this.abi = abi;
        int max = table.all().values().stream().mapToInt(Integer::intValue).max().orElse(0);
        this.names = new String[max + 1];
        this.byNumber = new Arg[max + 1][];
        table.all().forEach((name, nr) -> {
            names[nr] = name;
            byNumber[nr] = SPECS.get(name);
        });
    }

    /** One line (no newline) for {@code call}, which ended with {@code result}. */
    public String format(Task task, GuestEvent.Syscall call, SyscallResult result) {
        long nr = call.number();
        boolean known = nr >= 0 && nr < names.length && names[(int) nr] != null;
        String name = known ? names[(int) nr] : "syscall_" + Long.toHexString(nr);
        Arg[] spec = known ? byNumber[(int) nr] : null;
        long ret = result instanceof SyscallResult.Value v ? v.value() : 0;
        StringBuilder sb = new StringBuilder(name).append('(');
        if (spec == null) {
            for (int i = 0; i < 6; i++) {
                sb.append(i == 0 ? "" : ", ").append("0x").append(Long.toHexString(call.arg(i)));
            }
        } else {
            int shown = 0;
            for (int i = 0; i < spec.length; i++) {
                if (spec[i] == MODE_IF_CREAT && (call.arg(i - 1) & (Linux.O_CREAT | Linux.O_TMPFILE_BASE)) == 0) {
                    continue;
                }
                sb.append(shown++ == 0 ? "" : ", ");
                arg(sb, task, spec[i], call, i, ret, result instanceof SyscallResult.Value);
            }
        }
        sb.append(')');
        if (result instanceof SyscallResult.Value) {
            sb.append(" = ");
            if (ret < 0 && ret >= -4095) {
                sb.append("-1 ").append(Errno.name((int) -ret));
            } else if (name.equals("mmap") || name.equals("brk") || name.equals("mremap")) {
                sb.append("0x").append(Long.toHexString(ret));
            } else {
                sb.append(ret);
            }
        } else if (result instanceof SyscallResult.Exit e) {
            sb.append(" = ?\n+++ exited with ").append(e.status()).append(" +++");
        } else {
            sb.append(" = ?");
        }
        return sb.toString();
    }

    private void arg(StringBuilder sb, Task task, Arg kind, GuestEvent.Syscall call, int i, long ret, boolean returned) {
        long v = call.arg(i);
        switch (kind) {
            case INT -> sb.append((int) v);
            case UINT -> sb.append(v);
            case HEX -> sb.append("0x").append(Long.toHexString(v));
            case OCTAL -> sb.append('0').append(Long.toOctalString(v & 07777));
            case PTR -> sb.append(v == 0 ? "NULL" : "0x" + Long.toHexString(v));
            case FD -> sb.append((int) v);
            case DIRFD -> sb.append((int) v == Linux.AT_FDCWD ? "AT_FDCWD" : Integer.toString((int) v));
            case PATH -> string(sb, task, v, Linux.PATH_MAX, Integer.MAX_VALUE);
            case BUF_IN -> buffer(sb, task, v, call.arg(i + 1));
            case BUF_OUT -> {
                if (returned && ret >= 0) {
                    buffer(sb, task, v, ret);
                } else {
                    sb.append("0x").append(Long.toHexString(v));
                }
            }
            case OPEN_FLAGS -> openFlags(sb, (int) v);
            case MODE_IF_CREAT -> sb.append('0').append(Long.toOctalString(v & 07777));
            case PROT -> flags(sb, (int) v, new int[] {1, 2, 4}, new String[] {"PROT_READ", "PROT_WRITE", "PROT_EXEC"},
                    "PROT_NONE");
            case MAP_FLAGS -> flags(sb, (int) v, new int[] {0x1, 0x2, 0x10, 0x20, 0x100, 0x4000, 0x8000, 0x20000, 0x100000},
                    new String[] {"MAP_SHARED", "MAP_PRIVATE", "MAP_FIXED", "MAP_ANONYMOUS", "MAP_GROWSDOWN",
                        "MAP_NORESERVE", "MAP_POPULATE", "MAP_STACK", "MAP_FIXED_NOREPLACE"}, "0");
            case AT_FLAGS -> flags(sb, (int) v, new int[] {Linux.AT_SYMLINK_NOFOLLOW, Linux.AT_EACCESS,
                Linux.AT_SYMLINK_FOLLOW, Linux.AT_NO_AUTOMOUNT, Linux.AT_EMPTY_PATH},
                    new String[] {"AT_SYMLINK_NOFOLLOW", "AT_EACCESS", "AT_SYMLINK_FOLLOW", "AT_NO_AUTOMOUNT",
                        "AT_EMPTY_PATH"}, "0");
            case ACCESS -> flags(sb, (int) v, new int[] {4, 2, 1}, new String[] {"R_OK", "W_OK", "X_OK"}, "F_OK");
            case WHENCE -> named(sb, v, "SEEK_SET", "SEEK_CUR", "SEEK_END", "SEEK_DATA", "SEEK_HOLE");
            case CLOCK -> named(sb, v, "CLOCK_REALTIME", "CLOCK_MONOTONIC", "CLOCK_PROCESS_CPUTIME_ID",
                    "CLOCK_THREAD_CPUTIME_ID", "CLOCK_MONOTONIC_RAW", "CLOCK_REALTIME_COARSE", "CLOCK_MONOTONIC_COARSE",
                    "CLOCK_BOOTTIME");
            case SIGNAL -> sb.append(v >= 1 && v <= Linux.NSIG ? Signals.name((int) v) : Long.toString(v));
            case SIGHOW -> named(sb, v, "SIG_BLOCK", "SIG_UNBLOCK", "SIG_SETMASK");
            case FCNTL -> {
                if (v == Linux.F_DUPFD_CLOEXEC) {
                    sb.append("F_DUPFD_CLOEXEC");
                } else {
                    named(sb, v, "F_DUPFD", "F_GETFD", "F_SETFD", "F_GETFL", "F_SETFL");
                }
            }
            case IOCTL -> sb.append(v == Linux.TCGETS ? "TCGETS" : v == Linux.TIOCGWINSZ ? "TIOCGWINSZ"
                    : "0x" + Long.toHexString(v));
            case RESOURCE -> named(sb, v, "RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_CORE",
                    "RLIMIT_RSS", "RLIMIT_NPROC", "RLIMIT_NOFILE", "RLIMIT_MEMLOCK", "RLIMIT_AS", "RLIMIT_LOCKS",
                    "RLIMIT_SIGPENDING", "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_RTPRIO", "RLIMIT_RTTIME");
            case FUTEX_OP -> {
                int op = (int) v & ~(Linux.FUTEX_PRIVATE_FLAG | Linux.FUTEX_CLOCK_REALTIME);
                named(sb, op, "FUTEX_WAIT", "FUTEX_WAKE", "FUTEX_FD", "FUTEX_REQUEUE", "FUTEX_CMP_REQUEUE",
                        "FUTEX_WAKE_OP", "FUTEX_LOCK_PI", "FUTEX_UNLOCK_PI", "FUTEX_TRYLOCK_PI", "FUTEX_WAIT_BITSET",
                        "FUTEX_WAKE_BITSET");
                if ((v & Linux.FUTEX_PRIVATE_FLAG) != 0) {
                    sb.append("_PRIVATE");
                }
            }
        }
    }

    private void openFlags(StringBuilder sb, int v) {
        String[] acc = {"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"};
        sb.append(acc[v & Linux.O_ACCMODE]);
        int rest = v & ~Linux.O_ACCMODE;
        int[] bits = {Linux.O_CREAT, Linux.O_EXCL, Linux.O_NOCTTY, Linux.O_TRUNC, Linux.O_APPEND, Linux.O_NONBLOCK,
            abi.openLargeFileFlag(), abi.openDirectoryFlag(), abi.openNoFollowFlag(), Linux.O_CLOEXEC, Linux.O_PATH};
        String[] names = {"O_CREAT", "O_EXCL", "O_NOCTTY", "O_TRUNC", "O_APPEND", "O_NONBLOCK", "O_LARGEFILE",
            "O_DIRECTORY", "O_NOFOLLOW", "O_CLOEXEC", "O_PATH"};
        for (int b = 0; b < bits.length; b++) {
            if ((rest & bits[b]) != 0) {
                sb.append('|').append(names[b]);
                rest &= ~bits[b];
            }
        }
        if (rest != 0) {
            sb.append("|0x").append(Integer.toHexString(rest));
        }
    }

    private static void flags(StringBuilder sb, int v, int[] bits, String[] names, String zero) {
        if (v == 0) {
            sb.append(zero);
            return;
        }
        int rest = v;
        boolean first = true;
        for (int b = 0; b < bits.length; b++) {
            if ((rest & bits[b]) == bits[b]) {
                sb.append(first ? "" : "|").append(names[b]);
                rest &= ~bits[b];
                first = false;
            }
        }
        if (rest != 0) {
            sb.append(first ? "" : "|").append("0x").append(Integer.toHexString(rest));
        }
    }

    private static void named(StringBuilder sb, long v, String... names) {
        sb.append(v >= 0 && v < names.length ? names[(int) v] : Long.toString(v));
    }

    private static void buffer(StringBuilder sb, Task task, long address, long length) {
        string(sb, task, address, (int) Math.min(Math.max(length, 0), STRING_LIMIT), length);
    }

    /** A quoted, escaped string of at most {@code max} bytes read at {@code address} ("..." when longer). */
    private static void string(StringBuilder sb, Task task, long address, int max, long fullLength) {
        if (address == 0) {
            sb.append("NULL");
            return;
        }
        byte[] b;
        try {
            if (fullLength == Integer.MAX_VALUE) {
                b = task.readString(address, max).getBytes(StandardCharsets.UTF_8);
            } else {
                b = task.read(address, max);
            }
        } catch (RuntimeException e) {
            sb.append("0x").append(Long.toHexString(address));
            return;
        }
        sb.append('"');
        for (byte c : b) {
            int u = c & 0xff;
            switch (u) {
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (u >= 0x20 && u < 0x7f) {
                        sb.append((char) u);
                    } else {
                        sb.append('\\').append(Integer.toOctalString(u));
                    }
                }
            }
        }
        sb.append('"');
        if (fullLength != Integer.MAX_VALUE && fullLength > max) {
            sb.append("...");
        }
    }
}
