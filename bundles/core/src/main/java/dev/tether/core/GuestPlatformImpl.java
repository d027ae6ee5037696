package dev.tether.core;

import dev.tether.guest.GuestAddressSpace;
import dev.tether.guest.GuestPlatform;
import dev.tether.spi.GuestArch;
import java.util.function.Supplier;

/**
 * The ptrace guest mechanism (gVisor's {@code pkg/sentry/platform/ptrace}: {@code switchToApp} and
 * {@code context.Switch}) over a {@link StubPlatformImpl}: each address space is a subprocess, each
 * Java thread that switches into it gets its own stub thread there, which runs guest code under
 * PTRACE_SYSEMU so that every system call the guest makes stops in Java instead of running. It makes
 * address spaces and hands them what they need (the subprocess, the arch, the FP regset it probes
 * once); they do not know it.
 */
public final class GuestPlatformImpl implements GuestPlatform {
    /** The value of {@value GuestPlatform#PLATFORM_PROPERTY} for this mechanism. */
    static final String MECHANISM = "ptrace";

    /** The platform to make subprocesses on: the component's current one (it may be replaced live). */
    private final Supplier<StubPlatformImpl> platform;
    private final GuestArch arch;
    /** The FP regset the kernel accepts and its size, probed on the first switch. */
    private final FpRegset fpRegset;

    /** The guests of {@code platform} (flat class paths: benchmarks, tests). */
    public GuestPlatformImpl(StubPlatformImpl platform, GuestArch arch) {
        this(() -> platform, arch);
    }

    GuestPlatformImpl(Supplier<StubPlatformImpl> platform, GuestArch arch) {
        this.platform = platform;
        this.arch = arch;
        this.fpRegset = new FpRegset(arch);
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
        return new PtraceAddressSpace((SubprocessImpl) p.newSubprocess(), arch, fpRegset);
    }
}
