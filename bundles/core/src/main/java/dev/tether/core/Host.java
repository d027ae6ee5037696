package dev.tether.core;

import dev.tether.abi.Prctl;
import dev.tether.api.UnsupportedKernelException;
import dev.tether.linux.LinuxException;
import dev.tether.linux.Sys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * What the platform reads from the host before it creates anything: whether ptrace and seccomp
 * are usable at all, and glibc's rseq registration, which the trampoline undoes in every child.
 */
final class Host {
    /**
     * The length glibc registers its rseq area with: sizeof(struct rseq_area) = 32 for glibc
     * 2.35+ (sysdeps/unix/sysv/linux/rseq-internal.h); unregistering needs the same length.
     */
    private static final int RSEQ_MIN_LEN = 32;

    /**
     * glibc's rseq registration of the calling thread (0, 0 when there is none).
     *
     * @param offset from the thread pointer ({@code __rseq_offset})
     * @param length the registered length, at least {@value #RSEQ_MIN_LEN}
     */
    record Rseq(long offset, long length) {
    }

    private Host() {
    }

    /** An unsupported kernel gets a clear error before anything is created (docs/architecture.md, section 6, "Bad input changes nothing"). */
    static void preflight() {
        String scope = readOrEmpty(Path.of("/proc/sys/kernel/yama/ptrace_scope")).trim();
        if (scope.equals("3")) {
            throw new UnsupportedKernelException("ptrace is disabled on this host: /proc/sys/kernel/yama/ptrace_scope"
                    + " is 3 (no attach at all, until reboot); Tether needs ptrace", null);
        }
        try {
            // PR_GET_SECCOMP fails with EINVAL when the kernel has no CONFIG_SECCOMP.
            Sys.prctl(Prctl.PR_GET_SECCOMP, 0, 0, 0, 0);
        } catch (LinuxException e) {
            throw new UnsupportedKernelException("seccomp is not available in this kernel (prctl(PR_GET_SECCOMP): "
                    + e.errnoName() + "); Tether needs seccomp filters", e);
        }
    }

    /** glibc's rseq registration of the calling thread, read from {@code __rseq_offset} and {@code __rseq_size}. */
    static Rseq rseq() {
        OptionalLong off = Sys.libcSymbol("__rseq_offset");
        OptionalLong size = Sys.libcSymbol("__rseq_size");
        if (off.isEmpty() || size.isEmpty()) {
            return new Rseq(0, 0); // glibc < 2.35 registers no rseq area
        }
        int registered = Sys.peekInt(size.getAsLong());
        if (registered == 0) {
            return new Rseq(0, 0); // registration disabled (glibc.pthread.rseq=0) or refused
        }
        return new Rseq(Sys.peekLong(off.getAsLong()), Math.max(RSEQ_MIN_LEN, registered));
    }

    /** A file's text, or "" when it cannot be read (a /proc file this kernel does not have). */
    static String readOrEmpty(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }
}
