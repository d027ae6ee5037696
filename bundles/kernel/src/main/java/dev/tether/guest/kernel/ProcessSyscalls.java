package dev.tether.guest.kernel;

import dev.tether.guest.GuestEvent.Syscall;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Map;

/**
 * The process, identity, time, randomness, limit and signal system calls of {@link MiniLinux}, for one
 * single-threaded guest: ids are the guest's own ({@link GuestProcess#PID}, its credentials), signal
 * dispositions and the mask are recorded but nothing is delivered, and whatever would make a second
 * task or replace the program is refused.
 */
final class ProcessSyscalls {
    /** sizeof(struct new_utsname): six fields of __NEW_UTS_LEN + 1 = 65 bytes (include/uapi/linux/utsname.h). */
    static final int UTS_FIELD = 65;
    /** TASK_COMM_LEN (include/linux/sched.h): the name buffer of prctl PR_SET_NAME/PR_GET_NAME, NUL included. */
    static final int TASK_COMM_LEN = 16;
    // include/uapi/linux/prctl.h
    static final int PR_SET_NAME = 15;
    static final int PR_GET_NAME = 16;
    private static final long START_NANOS = System.nanoTime();
    private static final SecureRandom RANDOM = new SecureRandom();

    private ProcessSyscalls() {
    }

    /**
     * getresuid/getresgid(2): the real, effective and saved ids, each a 32-bit uid_t/gid_t; the
     * saved id is the effective one, as after an execve that changed nothing (credentials(7)).
     */
    private static SyscallResult resIds(Task t, Syscall c, int real, int effective) {
        int[] ids = t.process().credentials;
        t.writeInt(c.arg(0), ids[real]);
        t.writeInt(c.arg(1), ids[effective]);
        t.writeInt(c.arg(2), ids[effective]);
        return SyscallResult.value(0);
    }

    /**
     * getgroups(2): the guest's supplementary groups are its effective gid alone (the host's are
     * none of its business). A size of 0 asks for the count only; a smaller list than the groups is
     * EINVAL.
     */
    private static SyscallResult getgroups(Task t, Syscall c) {
        int size = (int) c.arg(0);
        if (size == 0) {
            return SyscallResult.value(1);
        }
        if (size < 0) {
            return SyscallResult.errno(Linux.EINVAL);
        }
        t.writeInt(c.arg(1), t.process().credentials[3]);
        return SyscallResult.value(1);
    }

    static void register(Map<String, SyscallHandler> h, String nodename) {
        h.put("exit", (t, c) -> SyscallResult.exit((int) c.arg(0)));
        h.put("exit_group", (t, c) -> SyscallResult.exit((int) c.arg(0)));
        h.put("getpid", (t, c) -> SyscallResult.value(GuestProcess.PID));
        h.put("gettid", (t, c) -> SyscallResult.value(t.tid()));
        h.put("getppid", (t, c) -> SyscallResult.value(0));
        h.put("getuid", (t, c) -> SyscallResult.value(t.process().credentials[0]));
        h.put("geteuid", (t, c) -> SyscallResult.value(t.process().credentials[1]));
        h.put("getgid", (t, c) -> SyscallResult.value(t.process().credentials[2]));
        h.put("getegid", (t, c) -> SyscallResult.value(t.process().credentials[3]));
        h.put("getresuid", (t, c) -> resIds(t, c, 0, 1));
        h.put("getresgid", (t, c) -> resIds(t, c, 2, 3));
        h.put("getgroups", ProcessSyscalls::getgroups);
        h.put("getpgrp", (t, c) -> SyscallResult.value(GuestProcess.PID));
        h.put("getpgid", (t, c) -> SyscallResult.value(c.arg(0) == 0 || c.arg(0) == GuestProcess.PID ? GuestProcess.PID : -Linux.ESRCH));
        h.put("getsid", (t, c) -> SyscallResult.value(c.arg(0) == 0 || c.arg(0) == GuestProcess.PID ? GuestProcess.PID : -Linux.ESRCH));
        h.put("set_tid_address", (t, c) -> {
            t.process().clearChildTid = c.arg(0);
            return SyscallResult.value(t.tid());
        });
        h.put("set_robust_list", (t, c) -> {
            // sizeof(struct robust_list_head) = 24 on 64-bit (include/uapi/linux/futex.h); anything else EINVAL
            if (c.arg(1) != 24) {
                return SyscallResult.errno(Linux.EINVAL);
            }
            t.process().robustList = c.arg(0);
            t.process().robustListLength = c.arg(1);
            return SyscallResult.value(0);
        });
        // rseq: refused, so libc does without (glibc then sets __rseq_size to 0); nothing would keep its area
        h.put("rseq", (t, c) -> SyscallResult.errno(Linux.ENOSYS));
        h.put("arch_prctl", (t, c) -> SyscallResult.value(t.abi().archPrctl(t.context(), t.memory(), c.arg(0), c.arg(1))));
        h.put("prctl", ProcessSyscalls::prctl);
        h.put("uname", (t, c) -> {
            t.write(c.arg(0), utsname(nodename, t.abi().unameMachine()));
            return SyscallResult.value(0);
        });
        h.put("getrandom", ProcessSyscalls::getrandom);
        h.put("clock_gettime", (t, c) -> {
            long[] ts = clock((int) c.arg(0));
            if (ts == null) {
                return SyscallResult.errno(Linux.EINVAL);
            }
            writeTimespec(t, c.arg(1), ts[0], ts[1]);
            return SyscallResult.value(0);
        });
        h.put("clock_getres", (t, c) -> {
            if (clock((int) c.arg(0)) == null) {
                return SyscallResult.errno(Linux.EINVAL);
            }
            if (c.arg(1) != 0) {
                writeTimespec(t, c.arg(1), 0, 1); // a nanosecond: what hrtimers report (clock_getres(2))
            }
            return SyscallResult.value(0);
        });
        h.put("gettimeofday", (t, c) -> {
            if (c.arg(0) != 0) {
                long[] ts = clock(Linux.CLOCK_REALTIME);
                writeTimespec(t, c.arg(0), ts[0], ts[1] / 1000); // struct timeval: seconds, microseconds
            }
            if (c.arg(1) != 0) {
                t.write(c.arg(1), new byte[8]); // struct timezone: UTC, no DST
            }
            return SyscallResult.value(0);
        });
        h.put("time", (t, c) -> {
            long now = clock(Linux.CLOCK_REALTIME)[0];
            if (c.arg(0) != 0) {
                t.writeLong(c.arg(0), now);
            }
            return SyscallResult.value(now);
        });
        h.put("nanosleep", (t, c) -> sleep(t, c.arg(0)));
        h.put("clock_nanosleep", (t, c) -> sleep(t, c.arg(2)));
        h.put("sched_yield", (t, c) -> SyscallResult.value(0));
        h.put("prlimit64", ProcessSyscalls::prlimit);
        h.put("getrlimit", (t, c) -> prlimit(t, new Syscall(0, new long[] {0, c.arg(0), 0, c.arg(1), 0, 0})));
        h.put("setrlimit", (t, c) -> prlimit(t, new Syscall(0, new long[] {0, c.arg(0), c.arg(1), 0, 0, 0})));
        h.put("rt_sigaction", ProcessSyscalls::sigaction);
        h.put("rt_sigprocmask", ProcessSyscalls::sigprocmask);
        h.put("sigaltstack", (t, c) -> SyscallResult.value(0));
        h.put("futex", ProcessSyscalls::futex);
        // another task, or a new program: not yet (clone3's ENOSYS sends glibc to clone, which says EAGAIN)
        h.put("clone", (t, c) -> SyscallResult.errno(Linux.EAGAIN));
        h.put("fork", (t, c) -> SyscallResult.errno(Linux.EAGAIN));
        h.put("vfork", (t, c) -> SyscallResult.errno(Linux.EAGAIN));
        h.put("clone3", (t, c) -> SyscallResult.errno(Linux.ENOSYS));
        h.put("execve", (t, c) -> SyscallResult.errno(Linux.ENOSYS));
        h.put("execveat", (t, c) -> SyscallResult.errno(Linux.ENOSYS));
    }

    /** prctl(2): the task's name only; every other option is EINVAL, as for an option the kernel lacks. */
    static SyscallResult prctl(Task t, Syscall c) {
        switch ((int) c.arg(0)) {
            case PR_SET_NAME -> {
                String name = t.readString(c.arg(1), 4096);
                byte[] b = name.getBytes(StandardCharsets.UTF_8);
                t.process().comm = java.util.Arrays.copyOf(b, Math.min(b.length, TASK_COMM_LEN - 1));
                return SyscallResult.value(0);
            }
            case PR_GET_NAME -> {
                t.write(c.arg(1), java.util.Arrays.copyOf(t.process().comm, TASK_COMM_LEN));
                return SyscallResult.value(0);
            }
            default -> {
                return SyscallResult.errno(Linux.EINVAL);
            }
        }
    }

    /** struct new_utsname: sysname, nodename, release, version, machine, domainname. */
    static byte[] utsname(String nodename, String machine) {
        byte[] b = new byte[UTS_FIELD * 6];
        // the host's release: libc refuses to start on a kernel it deems too old (glibc's --enable-kernel)
        String[] f = {"Linux", nodename, System.getProperty("os.version"), "#1 SMP tether", machine, "(none)"};
        for (int i = 0; i < f.length; i++) {
            byte[] s = f[i].getBytes(StandardCharsets.UTF_8);
            System.arraycopy(s, 0, b, i * UTS_FIELD, Math.min(s.length, UTS_FIELD - 1));
        }
        return b;
    }

    /** {seconds, nanoseconds} of clock {@code id}, or null for an unknown clock. */
    static long[] clock(int id) {
        long nanos;
        switch (id) {
            case Linux.CLOCK_REALTIME, Linux.CLOCK_REALTIME_COARSE -> {
                Instant now = Instant.now();
                return new long[] {now.getEpochSecond(), now.getNano()};
            }
            case Linux.CLOCK_MONOTONIC, Linux.CLOCK_MONOTONIC_RAW, Linux.CLOCK_MONOTONIC_COARSE, Linux.CLOCK_BOOTTIME ->
                nanos = System.nanoTime();
            // the guest's CPU time is not measured: the time since this kernel started stands in for it
            case Linux.CLOCK_PROCESS_CPUTIME_ID, Linux.CLOCK_THREAD_CPUTIME_ID -> nanos = System.nanoTime() - START_NANOS;
            default -> {
                return null;
            }
        }
        return new long[] {Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L)};
    }

    static void writeTimespec(Task t, long address, long sec, long frac) {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(sec).putLong(frac);
        t.write(address, b.array());
    }

    static SyscallResult getrandom(Task t, Syscall c) {
        if ((c.arg(2) & ~(Linux.GRND_NONBLOCK | Linux.GRND_RANDOM | Linux.GRND_INSECURE)) != 0
                || (c.arg(2) & (Linux.GRND_RANDOM | Linux.GRND_INSECURE)) == (Linux.GRND_RANDOM | Linux.GRND_INSECURE)) {
            return SyscallResult.errno(Linux.EINVAL);
        }
        // getrandom(2): at most 33554431 bytes per call
        byte[] b = new byte[(int) Math.min(Math.max(c.arg(1), 0), Math.min(33554431, FileSyscalls.MAX_TRANSFER))];
        RANDOM.nextBytes(b);
        t.write(c.arg(0), b);
        return SyscallResult.value(b.length);
    }

    static SyscallResult sleep(Task t, long request) {
        long sec = t.readLong(request);
        long nsec = t.readLong(request + 8);
        if (sec < 0 || nsec < 0 || nsec >= 1_000_000_000L) {
            return SyscallResult.errno(Linux.EINVAL);
        }
        try {
            Thread.sleep(Math.min(sec, Long.MAX_VALUE / 1000) * 1000 + nsec / 1_000_000, (int) (nsec % 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return SyscallResult.errno(Linux.EINTR);
        }
        return SyscallResult.value(0);
    }

    static SyscallResult prlimit(Task t, Syscall c) {
        long pid = c.arg(0);
        int resource = (int) c.arg(1);
        if (pid != 0 && pid != GuestProcess.PID) {
            return SyscallResult.errno(Linux.ESRCH);
        }
        if (resource < 0 || resource >= Linux.RLIM_NLIMITS) {
            return SyscallResult.errno(Linux.EINVAL);
        }
        long[] current = t.process().rlimits[resource];
        long[] next = null;
        if (c.arg(2) != 0) {
            next = new long[] {t.readLong(c.arg(2)), t.readLong(c.arg(2) + 8)};
            // unsigned compare: RLIM_INFINITY is the largest value
            if (Long.compareUnsigned(next[0], next[1]) > 0) {
                return SyscallResult.errno(Linux.EINVAL);
            }
            if (Long.compareUnsigned(next[1], current[1]) > 0) {
                return SyscallResult.errno(Linux.EPERM); // raising a hard limit takes CAP_SYS_RESOURCE
            }
        }
        if (c.arg(3) != 0) {
            t.writeLong(c.arg(3), current[0]);
            t.writeLong(c.arg(3) + 8, current[1]);
        }
        if (next != null) {
            t.process().rlimits[resource] = next;
            if (resource == Linux.RLIMIT_NOFILE) {
                // fs.nr_open's default, 1048576 (Documentation/admin-guide/sysctl/fs.rst), caps the table
                t.process().fds.setLimit(Long.compareUnsigned(next[0], 1 << 20) > 0 ? 1 << 20 : (int) next[0]);
            }
        }
        return SyscallResult.value(0);
    }

    static SyscallResult sigaction(Task t, Syscall c) {
        int sig = (int) c.arg(0);
        if (c.arg(3) != Linux.SIGSET_SIZE || sig < 1 || sig > Linux.NSIG) {
            return SyscallResult.errno(Linux.EINVAL);
        }
        long[][] actions = t.process().sigactions;
        if (c.arg(2) != 0) {
            long[] old = actions[sig] == null ? new long[4] : actions[sig];
            ByteBuffer b = ByteBuffer.allocate(Linux.SIGACTION_SIZE).order(ByteOrder.LITTLE_ENDIAN)
                    .putLong(old[0]).putLong(old[1]).putLong(old[2]).putLong(old[3]);
            t.write(c.arg(2), b.array());
        }
        if (c.arg(1) != 0) {
            if (sig == dev.tether.abi.Signals.SIGKILL || sig == dev.tether.abi.Signals.SIGSTOP) {
                return SyscallResult.errno(Linux.EINVAL);
            }
            ByteBuffer b = ByteBuffer.wrap(t.read(c.arg(1), Linux.SIGACTION_SIZE)).order(ByteOrder.LITTLE_ENDIAN);
            actions[sig] = new long[] {b.getLong(), b.getLong(), b.getLong(), b.getLong()};
        }
        return SyscallResult.value(0);
    }

    static SyscallResult sigprocmask(Task t, Syscall c) {
        if (c.arg(3) != Linux.SIGSET_SIZE) {
            return SyscallResult.errno(Linux.EINVAL);
        }
        GuestProcess p = t.process();
        long old = p.sigmask;
        if (c.arg(1) != 0) {
            long set = t.readLong(c.arg(1));
            switch ((int) c.arg(0)) {
                case Linux.SIG_BLOCK -> p.sigmask |= set;
                case Linux.SIG_UNBLOCK -> p.sigmask &= ~set;
                case Linux.SIG_SETMASK -> p.sigmask = set;
                default -> {
                    return SyscallResult.errno(Linux.EINVAL);
                }
            }
            // SIGKILL and SIGSTOP cannot be blocked (sigprocmask(2)): bit n-1 is signal n
            p.sigmask &= ~((1L << (dev.tether.abi.Signals.SIGKILL - 1)) | (1L << (dev.tether.abi.Signals.SIGSTOP - 1)));
        }
        if (c.arg(2) != 0) {
            t.writeLong(c.arg(2), old);
        }
        return SyscallResult.value(0);
    }

    /**
     * futex(2) for a guest with one thread: a wake wakes nobody; a wait whose value differs is EAGAIN;
     * a wait that would sleep can only time out (nothing else could wake it), and without a timeout it
     * would hang the guest for ever, so it ends the guest instead (status 128 + SIGKILL, as a deadlock
     * killed from outside).
     */
    static SyscallResult futex(Task t, Syscall c) {
        int op = (int) c.arg(1) & ~(Linux.FUTEX_PRIVATE_FLAG | Linux.FUTEX_CLOCK_REALTIME);
        switch (op) {
            case Linux.FUTEX_WAKE, Linux.FUTEX_WAKE_BITSET:
                t.readInt(c.arg(0)); // EFAULT for a bad address, as the kernel checks it
                return SyscallResult.value(0);
            case Linux.FUTEX_WAIT, Linux.FUTEX_WAIT_BITSET:
                if (t.readInt(c.arg(0)) != (int) c.arg(2)) {
                    return SyscallResult.errno(Linux.EAGAIN);
                }
                if (c.arg(3) != 0) {
                    return SyscallResult.errno(Linux.ETIMEDOUT);
                }
                t.process().countUnknown("futex(FUTEX_WAIT for ever in a single-threaded guest)");
                return SyscallResult.exit(128 + dev.tether.abi.Signals.SIGKILL);
            default:
                return SyscallResult.errno(Linux.ENOSYS);
        }
    }
}
