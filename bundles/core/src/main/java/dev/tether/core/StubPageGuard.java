package dev.tether.core;

import dev.tether.api.PlatformFacts;

/**
 * Keeps {@code Subprocess.protect}, {@code unmap} and the MAP_FIXED forms of {@code mapAnonymous}
 * and {@code mapFile} off the stub page. Every injected syscall runs the stub's code: unmapping it
 * or mapping over it destroys the subprocess, and making it writable hands the code that runs
 * with the tracer's injections (PTRACE_CONT, not SYSEMU) to whatever can write there. The kernel
 * refuses these too where the trampoline could seal the page (mseal, Linux 6.10+); this check
 * makes the refusal the same, and clear, on every kernel, before anything is injected.
 */
final class StubPageGuard {
    private StubPageGuard() {
    }

    /**
     * @throws IllegalArgumentException when the pages of {@code [address, address + length)} (the
     *     kernel rounds {@code length} up to whole pages) overlap the stub page ({@code f}) of
     *     subprocess {@code pid}
     */
    static void check(PlatformFacts f, int pid, String operation, long address, long length) {
        if (overlaps(address, length, f.pageSize(), f.stubAddress(), f.stubLength())) {
            throw new IllegalArgumentException(String.format("%s(0x%x, %d) in subprocess %d overlaps the stub page"
                    + " [0x%x, 0x%x): the stub's code, which every injected syscall runs, cannot be unmapped, mapped"
                    + " over or have its protection changed", operation, address, length, pid, f.stubAddress(),
                    f.stubAddress() + f.stubLength()));
        }
    }

    /**
     * Whether {@code [address, address + roundUp(length, pageSize))} meets {@code [stub, stub +
     * stubLength)}, all unsigned; a range that wraps past the top of the address space counts as
     * reaching it. A zero length meets nothing (the kernel changes no page for it).
     */
    static boolean overlaps(long address, long length, long pageSize, long stub, long stubLength) {
        if (length == 0) {
            return false;
        }
        long stubEnd = stub + stubLength;
        if (Long.compareUnsigned(address, stubEnd) >= 0) {
            return false; // starts at or above the stub's end
        }
        long pages = Long.divideUnsigned(length - 1, pageSize) + 1;
        long rounded = pages * pageSize;
        boolean roundingWraps = pages != 0 && Long.divideUnsigned(rounded, pages) != pageSize;
        long end = address + rounded;
        boolean wraps = roundingWraps || Long.compareUnsigned(end, address) <= 0;
        return wraps || Long.compareUnsigned(end, stub) > 0;
    }
}
