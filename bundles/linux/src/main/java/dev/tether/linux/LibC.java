package dev.tether.linux;

import com.sun.jna.Native;
import com.sun.jna.Platform;

/**
 * JNA direct mapping of the libc functions Tether needs ({@code Native.register}: a direct JNI
 * call per method, the fastest JNA path, about 0.2 µs per call). Pointers are passed as raw
 * addresses ({@code long}); errno is read with {@link Native#getLastError()}, which JNA saves
 * after every call. Package-private: {@link Sys} is the typed, checked API.
 */
final class LibC {
    static {
        Native.register(Platform.C_LIBRARY_NAME);
    }

    private LibC() {
    }

    // glibc's ptrace() is variadic; with four integer arguments the fixed-argument call is
    // ABI-compatible on x86-64 (the callee ignores %al for integer varargs) and on aarch64/Linux
    // (variadic integer arguments go in x0..x7 like fixed ones).
    static native long ptrace(long request, int pid, long addr, long data);

    static native int wait4(int pid, long statusAddr, int options, long rusage);

    static native int waitid(int idtype, int id, long infop, int options);

    static native int tgkill(int tgid, int tid, int sig);

    static native int kill(int pid, int sig);

    static native long mmap(long addr, long length, int prot, int flags, int fd, long offset);

    static native int mprotect(long addr, long length, int prot);

    static native int munmap(long addr, long length);

    static native int prctl(int option, long arg2, long arg3, long arg4, long arg5);

    static native long process_vm_readv(int pid, long localIov, long liovcnt, long remoteIov, long riovcnt, long flags);

    static native long process_vm_writev(int pid, long localIov, long liovcnt, long remoteIov, long riovcnt, long flags);

    static native int memfd_create(String name, int flags);

    static native int close(int fd);

    static native long write(int fd, long buf, long count);

    static native int poll(long fds, long nfds, int timeout);

    // syscall(2) is variadic too; see ptrace above.
    static native long syscall(long number, long a0, long a1, long a2, long a3, long a4, long a5);

    static native int getpid();

    /** glibc's sched_getcpu(): the CPU the calling thread runs on (rseq or vDSO, no syscall on x86-64). */
    static native int sched_getcpu();

    static native int sched_yield();

    static native int sched_setaffinity(int pid, long cpusetsize, long maskAddr);

    static native int sched_getaffinity(int pid, long cpusetsize, long maskAddr);

    static native int gettid();

    static native int getpagesize();

    /**
     * bsearch(3): here only a way to call a function pointer through a direct-mapped call (JNA
     * maps only named symbols directly; calling an address takes its slower {@code Function}
     * path). With one element it calls {@code compar(key, base)} exactly once; see
     * {@link ExecutableCode#call}.
     */
    static native long bsearch(long key, long base, long nmemb, long size, long compar);
}
