package dev.tether.core;

import dev.tether.abi.Errno;
import dev.tether.abi.Mman;
import dev.tether.linux.LinuxException;
import dev.tether.linux.Sys;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Where the stub page goes in the JVM (and so in every stub): as high as the address space allows,
 * in a range the JVM does not use, found in a few system calls whatever the address-space size.
 *
 * <p>gVisor's stubInit ({@code pkg/sentry/platform/ptrace/stub_unsafe.go}) walks down from a fixed
 * start one page at a time with mmap hints until the kernel honours one. From the start of a
 * 48-bit layout on a kernel with a 39-bit address space (arm64 with 4 KiB pages and three levels
 * of page tables, or 42 bits with 64 KiB pages), that is some 10^9 mmap/munmap pairs. Instead,
 * the top of the address space (the kernel's TASK_SIZE) is found by a binary search with
 * {@code MAP_FIXED_NOREPLACE} probes, which fail with ENOMEM above it and map or fail with EEXIST
 * below it (mmap(2); Linux 4.17+), and the highest free range below it is read from
 * {@code /proc/self/maps}.
 */
final class StubPlacement {
    /** mmap flag, include/uapi/asm-generic/mman-common.h (Linux 4.17+; older kernels treat it as a hint). */
    static final int MAP_FIXED_NOREPLACE = 0x100000;
    /** Attempts when the JVM maps something into the chosen range between the maps read and the mmap. */
    private static final int ATTEMPTS = 8;

    private StubPlacement() {
    }

    /**
     * The first address above user space, at most {@code archLimit} (the arch's largest user
     * address): the lowest page-aligned address where a one-page fixed mapping fails with ENOMEM.
     * When the kernel does not know MAP_FIXED_NOREPLACE (it then maps elsewhere, never ENOMEM),
     * the answer is {@code archLimit}.
     */
    static long probeTaskSize(long archLimit, long page) {
        long lo = 1; // in pages: lo is inside user space (page 1 is at worst EPERM: mmap_min_addr)
        long hi = archLimit / page; // hi is outside, or the limit itself
        while (hi - lo > 1) {
            long mid = lo + (hi - lo) / 2;
            if (inUserSpace(mid * page, page)) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return hi * page;
    }

    private static boolean inUserSpace(long at, long page) {
        long got;
        try {
            got = Sys.mmap(at, page, Mman.PROT_NONE, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        } catch (LinuxException e) {
            return e.errno() != Errno.ENOMEM; // EEXIST: something is mapped there, so it is user space
        }
        Sys.munmap(got, page);
        return true;
    }

    /**
     * The highest page-aligned start {@code a <= top} such that {@code [a, a + length)} overlaps
     * none of {@code used} (half-open {start, end} pairs), or -1 if there is none above page 0.
     */
    static long highestGap(List<long[]> used, long top, long length, long page) {
        List<long[]> sorted = new ArrayList<>(used);
        sorted.sort(Comparator.comparingLong((long[] r) -> r[0]).reversed());
        long at = top / page * page;
        for (long[] r : sorted) {
            if (at <= 0) {
                break;
            }
            if (r[0] >= at + length) {
                continue; // entirely above the candidate
            }
            if (r[1] <= at) {
                break; // entirely below: sorted by start, every later range ends below it too
            }
            at = (r[0] - length) / page * page; // overlaps: the candidate must end below it
        }
        return at > 0 ? at : -1;
    }

    /**
     * Maps {@code length} read-write bytes at the highest free address at or below {@code top}
     * (and below the task size), with a hint the kernel must honour exactly; never MAP_FIXED,
     * which would replace what the JVM has there.
     */
    static long mapHighest(long top, long taskSize, long length, long page) {
        long limit = Math.min(top, taskSize - length);
        for (int i = 0; i < ATTEMPTS; i++) {
            long at = highestGap(jvmMappings(), limit, length, page);
            if (at < 0) {
                break;
            }
            long got;
            try {
                got = Sys.mmap(at, length, Mman.PROT_READ | Mman.PROT_WRITE, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS, -1, 0);
            } catch (LinuxException e) {
                continue;
            }
            if (got == at) {
                return got;
            }
            Sys.munmap(got, length); // the JVM took that range meanwhile: read the maps again
        }
        return -1;
    }

    /** The JVM's mappings in user space, from /proc/self/maps. */
    static List<long[]> jvmMappings() {
        List<long[]> out = new ArrayList<>();
        for (String line : Host.readOrEmpty(java.nio.file.Path.of("/proc/self/maps")).split("\n")) {
            int dash = line.indexOf('-');
            int space = line.indexOf(' ');
            if (dash <= 0 || space <= dash) {
                continue;
            }
            long start = Long.parseUnsignedLong(line.substring(0, dash), 16);
            long end = Long.parseUnsignedLong(line.substring(dash + 1, space), 16);
            if (start >= 0 && end > 0) { // [vsyscall] (0xffffffffff600000) is above any user space
                out.add(new long[] {start, end});
            }
        }
        return out;
    }
}
