package dev.tether.core;

import dev.tether.abi.Errno;
import dev.tether.linux.LinuxException;
import java.util.function.LongBinaryOperator;

/**
 * Cuts a stub's address space down to its stub page (gVisor's {@code subprocess.unmap} in
 * {@code pkg/sentry/platform/ptrace/subprocess.go}): a stub cloned from the JVM starts with a
 * copy-on-write image of the whole JVM, whose pages the stub pins (and, as the GC rewrites the
 * heap, copies: up to the heap's size per stub) and whose page tables every fork would copy.
 */
final class StubAddressSpace {
    private StubAddressSpace() {
    }

    /**
     * Unmaps {@code [0, stub)} and {@code [stubEnd, taskSize)} with injected munmaps
     * ({@code munmap.applyAsLong(address, length)} returns the raw result, -errno on failure).
     * {@code [vsyscall]} (amd64) cannot be unmapped and stays. Should the end of the address
     * space be wrong for this process (munmap: EINVAL), what /proc/pid/maps lists above the stub
     * is unmapped instead.
     */
    static void unmapAllButStub(int pid, LongBinaryOperator munmap, long stub, long stubEnd, long taskSize) {
        long r = munmap.applyAsLong(0, stub);
        if (r != 0) {
            throw new LinuxException(String.format("munmap(0, 0x%x) in stub %d", stub, pid), (int) -r);
        }
        if (taskSize > stubEnd) {
            r = munmap.applyAsLong(stubEnd, taskSize - stubEnd);
            if (r == -Errno.EINVAL) {
                unmapFromMaps(pid, munmap, stubEnd);
            } else if (r != 0) {
                throw new LinuxException(String.format("munmap(0x%x, 0x%x) in stub %d", stubEnd, taskSize - stubEnd, pid),
                        (int) -r);
            }
        }
    }

    private static void unmapFromMaps(int pid, LongBinaryOperator munmap, long from) {
        String maps = Host.readOrEmpty(java.nio.file.Path.of("/proc/" + pid + "/maps"));
        for (String line : maps.split("\n")) {
            if (line.isBlank() || line.contains("[vsyscall]")) {
                continue;
            }
            String[] range = line.substring(0, line.indexOf(' ')).split("-");
            long lo = Long.parseUnsignedLong(range[0], 16);
            long hi = Long.parseUnsignedLong(range[1], 16);
            if (lo >= from) {
                munmap.applyAsLong(lo, hi - lo);
            }
        }
    }
}
