package dev.tether.linux;

import com.sun.jna.Function;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import dev.tether.abi.Errno;
import dev.tether.abi.Ptrace;
import dev.tether.abi.Wait;
import java.util.OptionalLong;

/**
 * Typed, checked system calls. Every failure throws {@link LinuxException} naming the call and
 * the errno; interrupted waits are retried. Calls that need scratch memory (wait status, iovecs)
 * use a per-thread buffer, so the hot paths (ptrace + wait4 + regsets) allocate nothing.
 */
public final class Sys {
    private static final ThreadLocal<NativeMemory> SCRATCH = ThreadLocal.withInitial(() -> NativeMemory.allocate(64));
    /** A siginfo_t per thread for waitid: 128 bytes (SI_MAX_SIZE, include/uapi/asm-generic/siginfo.h). */
    private static final ThreadLocal<NativeMemory> SIGINFO = ThreadLocal.withInitial(() -> NativeMemory.allocate(128));

    private Sys() {
    }

    private static int errno() {
        return Native.getLastError();
    }

    /** ptrace(request, pid, addr, data); returns the kernel's result (0 for most requests). */
    public static long ptrace(int request, int pid, long addr, long data) {
        long r = LibC.ptrace(request, pid, addr, data);
        if (r == -1) {
            int e = errno();
            if (e != 0) {
                throw new LinuxException("ptrace(" + requestName(request) + ", " + pid + ")", e);
            }
        }
        return r;
    }

    /**
     * wait4(pid, &status, options, NULL), retried on EINTR. Returns the status, or -1 when
     * {@code WNOHANG} was given and nothing was ready.
     */
    public static int wait4(int pid, int options) {
        NativeMemory s = SCRATCH.get();
        while (true) {
            int r = LibC.wait4(pid, s.address(), options, 0);
            if (r == pid || (r > 0 && pid <= 0)) {
                return s.getInt(0);
            }
            if (r == 0) {
                return -1;
            }
            int e = errno();
            if (e == Errno.EINTR) {
                continue;
            }
            throw new LinuxException("wait4(" + pid + ", 0x" + Integer.toHexString(options) + ")", e);
        }
    }

    /**
     * wait4(pid, &status, options, NULL) for any {@code pid} form (e.g. -pgid), retried on
     * EINTR: returns {@code (reapedPid << 32) | status}, or -1 for WNOHANG with nothing ready.
     * ECHILD (nothing left to wait for) is thrown like any error.
     */
    public static long wait4Full(int pid, int options) {
        NativeMemory s = SCRATCH.get();
        while (true) {
            int r = LibC.wait4(pid, s.address(), options, 0);
            if (r > 0) {
                return ((long) r << 32) | (s.getInt(0) & 0xffffffffL);
            }
            if (r == 0) {
                return -1;
            }
            int e = errno();
            if (e == Errno.EINTR) {
                continue;
            }
            throw new LinuxException("wait4(" + pid + ", 0x" + Integer.toHexString(options) + ")", e);
        }
    }

    /**
     * waitid(P_PID, pid, &info, options), retried on EINTR: returns {@code (si_code << 32) |
     * si_status} of the reported child, or -1 when {@code WNOHANG} was given and nothing was ready.
     * With {@code WNOWAIT} the event stays to be waited for: a cheap look at whether a child (or
     * tracee) has died or stopped, from any thread of the tracer's thread group.
     */
    public static long waitid(int pid, int options) {
        NativeMemory s = SIGINFO.get();
        while (true) {
            // siginfo_t (include/uapi/asm-generic/siginfo.h): si_code at 8, _sigchld's si_pid at
            // 16 and si_status at 24, the same on x86-64 and arm64. si_pid stays 0 when nothing
            // was ready (waitid(2)), which is why it is cleared first.
            s.putInt(16, 0);
            int r = LibC.waitid(Wait.P_PID, pid, s.address(), options);
            if (r == 0) {
                if (s.getInt(16) == 0) {
                    return -1;
                }
                return ((long) s.getInt(8) << 32) | (s.getInt(24) & 0xffffffffL);
            }
            int e = errno();
            if (e == Errno.EINTR) {
                continue;
            }
            throw new LinuxException("waitid(P_PID, " + pid + ", 0x" + Integer.toHexString(options) + ")", e);
        }
    }

    /** PTRACE_GETREGSET(pid, type) into {@code buf}; returns the number of bytes the kernel wrote. */
    public static long getRegset(int pid, int type, NativeMemory buf, long length) {
        NativeMemory iov = SCRATCH.get();
        iov.putLong(8, buf.address());
        iov.putLong(16, length);
        ptrace(Ptrace.PTRACE_GETREGSET, pid, type, iov.address() + 8);
        return iov.getLong(16);
    }

    /** PTRACE_SETREGSET(pid, type) from {@code buf}. */
    public static void setRegset(int pid, int type, NativeMemory buf, long length) {
        NativeMemory iov = SCRATCH.get();
        iov.putLong(8, buf.address());
        iov.putLong(16, length);
        ptrace(Ptrace.PTRACE_SETREGSET, pid, type, iov.address() + 8);
    }

    /** PTRACE_GETEVENTMSG: the event message of the last ptrace event stop. */
    public static long getEventMessage(int pid) {
        NativeMemory s = SCRATCH.get();
        s.putLong(24, 0);
        ptrace(Ptrace.PTRACE_GETEVENTMSG, pid, 0, s.address() + 24);
        return s.getLong(24);
    }

    public static void tgkill(int tgid, int tid, int sig) {
        if (LibC.tgkill(tgid, tid, sig) != 0) {
            throw new LinuxException("tgkill(" + tgid + ", " + tid + ", " + sig + ")", errno());
        }
    }

    public static void kill(int pid, int sig) {
        if (LibC.kill(pid, sig) != 0) {
            throw new LinuxException("kill(" + pid + ", " + sig + ")", errno());
        }
    }

    /** mmap; returns the address. */
    public static long mmap(long addr, long length, int prot, int flags, int fd, long offset) {
        long r = LibC.mmap(addr, length, prot, flags, fd, offset);
        if (r == -1) {
            throw new LinuxException(String.format("mmap(0x%x, %d, prot=%d, flags=0x%x, fd=%d)", addr, length, prot, flags, fd), errno());
        }
        return r;
    }

    public static void mprotect(long addr, long length, int prot) {
        if (LibC.mprotect(addr, length, prot) != 0) {
            throw new LinuxException(String.format("mprotect(0x%x, %d, %d)", addr, length, prot), errno());
        }
    }

    public static void munmap(long addr, long length) {
        if (LibC.munmap(addr, length) != 0) {
            throw new LinuxException(String.format("munmap(0x%x, %d)", addr, length), errno());
        }
    }

    public static int prctl(int option, long a2, long a3, long a4, long a5) {
        int r = LibC.prctl(option, a2, a3, a4, a5);
        if (r == -1) {
            throw new LinuxException("prctl(" + option + ", " + a2 + ")", errno());
        }
        return r;
    }

    /** process_vm_readv of one range: copies {@code length} bytes at {@code remote} in {@code pid} to {@code local}. */
    public static long processVmRead(int pid, long local, long remote, long length) {
        return processVm(false, pid, local, remote, length);
    }

    /** process_vm_writev of one range: copies {@code length} bytes from {@code local} to {@code remote} in {@code pid}. */
    public static long processVmWrite(int pid, long local, long remote, long length) {
        return processVm(true, pid, local, remote, length);
    }

    /** One local and one remote iovec in the scratch buffer; returns the bytes copied. */
    private static long processVm(boolean write, int pid, long local, long remote, long length) {
        NativeMemory iov = SCRATCH.get();
        iov.putLong(0, local);
        iov.putLong(8, length);
        iov.putLong(16, remote);
        iov.putLong(24, length);
        long r = write ? LibC.process_vm_writev(pid, iov.address(), 1, iov.address() + 16, 1, 0)
                : LibC.process_vm_readv(pid, iov.address(), 1, iov.address() + 16, 1, 0);
        if (r < 0) {
            throw new LinuxException(String.format("%s(%d, 0x%x, %d)", write ? "process_vm_writev" : "process_vm_readv",
                    pid, remote, length), errno());
        }
        return r;
    }

    /** memfd_create(name, flags); returns the fd. */
    public static int memfdCreate(String name, int flags) {
        int fd = LibC.memfd_create(name, flags);
        if (fd < 0) {
            throw new LinuxException("memfd_create(" + name + ")", errno());
        }
        return fd;
    }

    public static void close(int fd) {
        if (LibC.close(fd) != 0) {
            throw new LinuxException("close(" + fd + ")", errno());
        }
    }

    /**
     * pidfd_open(2)'s system call number: 434 on every architecture (new system calls share one
     * number since Linux 5.1: include/uapi/asm-generic/unistd.h {@code __NR_pidfd_open}, and
     * arch/x86/entry/syscalls/syscall_64.tbl "434 common pidfd_open"). glibc only wraps it from
     * 2.36, so it is called through syscall(2).
     */
    private static final long NR_PIDFD_OPEN = 434;
    /** pidfd_open's flag for a pidfd of one thread, not of a thread group: O_EXCL = 0x80 (include/uapi/linux/pidfd.h, Linux 6.9). */
    public static final int PIDFD_THREAD = 0x80;
    /** poll(2)'s POLLIN = 0x1 (include/uapi/asm-generic/poll.h). */
    private static final short POLLIN = 0x1;

    /**
     * pidfd_open(pid, flags) (Linux 5.3): a file descriptor that polls readable once process
     * {@code pid} has exited and its other threads are gone (pidfd_open(2)), or with
     * {@link #PIDFD_THREAD} once thread {@code pid} has exited. The caller closes it.
     * ENOSYS (an older kernel) and EINVAL ({@code PIDFD_THREAD} before 6.9, or a pid that is not
     * a thread group leader without it) are thrown like any error.
     */
    public static int pidfdOpen(int pid, int flags) {
        long r = LibC.syscall(NR_PIDFD_OPEN, pid, flags, 0, 0, 0, 0);
        if (r < 0) {
            throw new LinuxException("pidfd_open(" + pid + ", 0x" + Integer.toHexString(flags) + ")", errno());
        }
        return (int) r;
    }

    /**
     * poll(2) for POLLIN on one file descriptor for at most {@code timeoutMillis}: whether it
     * reported anything (readable, or POLLHUP/POLLERR, which poll always reports) before the
     * timeout. EINTR is retried with the whole timeout (a bound, not a deadline).
     */
    public static boolean pollIn(int fd, int timeoutMillis) {
        NativeMemory s = SCRATCH.get();
        // struct pollfd { int fd; short events; short revents; } (include/uapi/asm-generic/poll.h)
        s.putInt(0, fd);
        s.putShort(4, POLLIN);
        s.putShort(6, (short) 0);
        while (true) {
            int r = LibC.poll(s.address(), 1, timeoutMillis);
            if (r >= 0) {
                return r > 0;
            }
            int e = errno();
            if (e != Errno.EINTR) {
                throw new LinuxException("poll(" + fd + ", " + timeoutMillis + " ms)", e);
            }
        }
    }

    /** write(2) of {@code length} bytes at native address {@code buf}. */
    public static long write(int fd, long buf, long length) {
        long r = LibC.write(fd, buf, length);
        if (r < 0) {
            throw new LinuxException("write(" + fd + ", " + length + ")", errno());
        }
        return r;
    }

    /** syscall(2) with a number from the arch's table; returns the raw result (throws on -1). */
    public static long syscall(long nr, long... args) {
        long[] a = new long[6];
        System.arraycopy(args, 0, a, 0, Math.min(args.length, 6));
        long r = LibC.syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
        if (r == -1) {
            throw new LinuxException("syscall(" + nr + ")", errno());
        }
        return r;
    }

    /** Bits of the affinity mask buffer: 1024 CPUs (glibc's CPU_SETSIZE in <sched.h>, cpu_set_t; sched_setaffinity(2)). */
    public static final int MAX_BIND_CPUS = 1024;
    private static final ThreadLocal<NativeMemory> CPU_MASK = ThreadLocal.withInitial(() -> NativeMemory.allocate(MAX_BIND_CPUS / 8));

    /** The CPU the calling thread is running on (sched_getcpu), or -1 if unknown. */
    public static int currentCpu() {
        return LibC.sched_getcpu();
    }

    /**
     * sched_setaffinity(tid, {cpu}): restricts thread {@code tid} (of any process we may
     * ptrace) to one CPU, {@code 0 <= cpu < MAX_BIND_CPUS}.
     */
    public static void bindToCpu(int tid, int cpu) {
        if (cpu < 0 || cpu >= MAX_BIND_CPUS) {
            throw new IllegalArgumentException("cpu " + cpu + " outside 0.." + (MAX_BIND_CPUS - 1));
        }
        NativeMemory mask = CPU_MASK.get();
        int word = cpu >>> 6;
        long bytes = 8L * (word + 1);
        for (int i = 0; i < word; i++) {
            mask.putLong(8L * i, 0);
        }
        mask.putLong(8L * word, 1L << (cpu & 63));
        if (LibC.sched_setaffinity(tid, bytes, mask.address()) != 0) {
            throw new LinuxException("sched_setaffinity(" + tid + ", cpu " + cpu + ")", errno());
        }
    }

    /** sched_getaffinity(tid): the CPUs thread {@code tid} (0: the caller) may run on, as mask words. */
    public static long[] getAffinity(int tid) {
        NativeMemory mask = CPU_MASK.get();
        if (LibC.sched_getaffinity(tid, mask.size(), mask.address()) < 0) {
            throw new LinuxException("sched_getaffinity(" + tid + ")", errno());
        }
        long[] words = new long[(int) (mask.size() / 8)];
        mask.getLongs(0, words);
        return words;
    }

    /** sched_setaffinity(tid, mask) with mask words as {@link #getAffinity} returns them. */
    public static void setAffinity(int tid, long[] words) {
        NativeMemory mask = CPU_MASK.get();
        if (words.length * 8L > mask.size()) {
            throw new IllegalArgumentException("affinity mask of " + words.length + " words is over " + MAX_BIND_CPUS + " CPUs");
        }
        mask.putLongs(0, words);
        if (LibC.sched_setaffinity(tid, 8L * words.length, mask.address()) != 0) {
            throw new LinuxException("sched_setaffinity(" + tid + ")", errno());
        }
    }

    /** sched_yield(): lets another runnable thread of this CPU run first (it cannot fail on Linux). */
    public static void yield() {
        LibC.sched_yield();
    }

    public static int getpid() {
        return LibC.getpid();
    }

    public static int gettid() {
        return LibC.gettid();
    }

    public static int pageSize() {
        return LibC.getpagesize();
    }

    /**
     * Calls the C-ABI function at {@code functionAddress} with one pointer-sized argument and
     * returns its 64-bit result. Used for the arch's clone trampoline, which must run as machine
     * code, never Java (docs/architecture.md, section 3, "A stub from the JVM, step by step").
     */
    public static long callFunction(long functionAddress, long argument) {
        Function f = Function.getFunction(new Pointer(functionAddress));
        return f.invokeLong(new Object[] {new Pointer(argument)});
    }

    /** The address of a global variable of libc, if it has one of that name. */
    public static OptionalLong libcSymbol(String name) {
        try {
            Pointer p = NativeLibrary.getInstance(Platform.C_LIBRARY_NAME).getGlobalVariableAddress(name);
            return OptionalLong.of(Pointer.nativeValue(p));
        } catch (UnsatisfiedLinkError e) {
            return OptionalLong.empty();
        }
    }

    /** Reads a 64-bit word of this process's memory (for libc variables such as __rseq_offset). */
    public static long peekLong(long address) {
        return new Pointer(address).getLong(0);
    }

    /** Reads a 32-bit word of this process's memory. */
    public static int peekInt(long address) {
        return new Pointer(address).getInt(0);
    }

    /** Writes {@code bytes} to this process's memory at {@code address} (must be writable). */
    public static void pokeBytes(long address, byte[] bytes) {
        new Pointer(address).write(0, bytes, 0, bytes.length);
    }

    /** The name of a ptrace request, for messages: PTRACE_CONT, ..., or "request N". */
    public static String requestName(int request) {
        switch (request) {
            case Ptrace.PTRACE_CONT: return "PTRACE_CONT";
            case Ptrace.PTRACE_KILL: return "PTRACE_KILL";
            case Ptrace.PTRACE_ATTACH: return "PTRACE_ATTACH";
            case Ptrace.PTRACE_DETACH: return "PTRACE_DETACH";
            case Ptrace.PTRACE_SYSCALL: return "PTRACE_SYSCALL";
            case Ptrace.PTRACE_SYSEMU: return "PTRACE_SYSEMU";
            case Ptrace.PTRACE_SETOPTIONS: return "PTRACE_SETOPTIONS";
            case Ptrace.PTRACE_GETEVENTMSG: return "PTRACE_GETEVENTMSG";
            case Ptrace.PTRACE_GETSIGINFO: return "PTRACE_GETSIGINFO";
            case Ptrace.PTRACE_GETREGSET: return "PTRACE_GETREGSET";
            case Ptrace.PTRACE_SETREGSET: return "PTRACE_SETREGSET";
            default: return "request " + request;
        }
    }
}
