package dev.tether.core;

import dev.tether.abi.Errno;
import dev.tether.api.TetherException;
import dev.tether.guest.GuestAddressSpace;
import dev.tether.guest.GuestPlatform;
import dev.tether.linux.LinuxException;
import dev.tether.linux.NativeMemory;
import dev.tether.linux.Sys;
import dev.tether.abi.Ptrace;
import dev.tether.spi.GuestArch;
import java.util.function.Supplier;

/**
 * The ptrace guest mechanism (gVisor's {@code pkg/sentry/platform/ptrace}: {@code switchToApp} and
 * {@code context.Switch}) over a {@link StubPlatformImpl}: each address space is a subprocess, each
 * Java thread that switches into it gets its own stub thread there, which runs guest code under
 * PTRACE_SYSEMU so that every system call the guest makes stops in Java instead of running.
 */
public final class GuestPlatformImpl implements GuestPlatform {
    /** The value of {@value GuestPlatform#PLATFORM_PROPERTY} for this mechanism. */
    static final String MECHANISM = "ptrace";

    /** The platform to make subprocesses on: the component's current one (it may be replaced live). */
    private final Supplier<StubPlatformImpl> platform;
    final GuestArch arch;
    /** The FP regset the kernel accepts and its size, probed on the first switch (0 until then). */
    private volatile int fpRegset;
    private volatile int fpSize;

    /** The guests of {@code platform} (flat class paths: benchmarks, tests). */
    public GuestPlatformImpl(StubPlatformImpl platform, GuestArch arch) {
        this(() -> platform, arch);
    }

    GuestPlatformImpl(Supplier<StubPlatformImpl> platform, GuestArch arch) {
        this.platform = platform;
        this.arch = arch;
    }

    @Override
    public String mechanism() {
        return MECHANISM;
    }

    @Override
    public String arch() {
        return arch.arch();
    }

    @Override
    public GuestAddressSpace newAddressSpace() {
        StubPlatformImpl p = platform.get();
        if (!arch.arch().equals(p.facts().arch())) {
            throw new IllegalStateException("guest arch " + arch.arch() + " does not match the stub platform's " + p.facts().arch());
        }
        return new PtraceAddressSpace(this, (SubprocessImpl) p.newSubprocess());
    }

    int fpRegset() {
        return fpRegset;
    }

    int fpSize() {
        return fpSize;
    }

    /**
     * Which FP regset this kernel gives for a stub thread, and its size: PTRACE_GETREGSET shortens
     * the iovec to what it copied (ptrace(2), PTRACE_GETREGSET), so one call with the arch's largest
     * buffer answers both (gVisor sizes NT_X86_XSTATE from CPUID leaf 0xD instead). Runs on the
     * tracer of {@code tid}.
     */
    void probeFloatingPoint(int tid) {
        if (fpSize != 0) {
            return;
        }
        NativeMemory buf = NativeMemory.allocate(arch.maxFloatingPointSize());
        LinuxException last = null;
        for (int regset : arch.floatingPointRegsets()) {
            try {
                long n = Sys.getRegset(tid, regset, buf, buf.size());
                if (n > 0) {
                    fpRegset = regset;
                    fpSize = (int) n;
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

    static int ptraceRequest(boolean singleStep) {
        return singleStep ? Ptrace.PTRACE_SYSEMU_SINGLESTEP : Ptrace.PTRACE_SYSEMU;
    }
}
