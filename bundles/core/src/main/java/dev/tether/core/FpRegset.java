package dev.tether.core;

import dev.tether.abi.Errno;
import dev.tether.api.TetherException;
import dev.tether.linux.LinuxException;
import dev.tether.linux.NativeMemory;
import dev.tether.linux.Sys;
import dev.tether.spi.GuestArch;

/**
 * Which FP regset this kernel gives for a stub thread, and its size: probed once per guest
 * platform, on the first switch, and read by every switch and context after it. Made by the
 * guest platform and handed down to its address spaces and their contexts' state, which only read
 * it (and probe it, which does nothing once it is known).
 */
final class FpRegset {
    private final GuestArch arch;
    /** The FP regset the kernel accepts and its size, probed on the first switch (0 until then). */
    private volatile int regset;
    private volatile int size;

    FpRegset(GuestArch arch) {
        this.arch = arch;
    }

    /** The regset's note type (NT_PRFPREG, NT_X86_XSTATE, ...), 0 until probed. */
    int regset() {
        return regset;
    }

    /** Its size in bytes, 0 until probed. */
    int size() {
        return size;
    }

    /**
     * Which FP regset this kernel gives for a stub thread, and its size: PTRACE_GETREGSET shortens
     * the iovec to what it copied (ptrace(2), PTRACE_GETREGSET), so one call with the arch's largest
     * buffer answers both (gVisor sizes NT_X86_XSTATE from CPUID leaf 0xD instead). Runs on the
     * tracer of {@code tid}.
     */
    void probe(int tid) {
        if (size != 0) {
            return;
        }
        NativeMemory buf = NativeMemory.allocate(arch.maxFloatingPointSize());
        LinuxException last = null;
        for (int r : arch.floatingPointRegsets()) {
            try {
                long n = Sys.getRegset(tid, r, buf, buf.size());
                if (n > 0) {
                    regset = r;
                    size = (int) n;
                    return;
                }
            } catch (LinuxException e) {
                if (e.errno() != Errno.EINVAL && e.errno() != Errno.ENODEV) {
                    throw e;
                }
                last = e;
            }
        }
        throw new TetherException("no FP regset of " + arch.arch() + " is offered by this kernel for stub thread " + tid
                + (last == null ? "" : ": " + last.getMessage()));
    }
}
