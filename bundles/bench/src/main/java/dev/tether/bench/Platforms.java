package dev.tether.bench;

import dev.tether.api.FailureMode;
import dev.tether.api.HostArch;
import dev.tether.core.Settings;
import dev.tether.core.StubPlatformImpl;
import dev.tether.seccomp.SeccompContribution;
import dev.tether.seccomp.SyscallTable;
import dev.tether.spi.RegisterLayout;
import dev.tether.spi.StubProgram;

/**
 * The stub platform of this host on a flat class path: the arch classes instantiated directly,
 * as core's kernel tests do ({@link HostArch}). Benchmark code may read os.arch; product code may
 * not: there the framework's osgi.native capability picks the arch bundle (docs/architecture.md, section 7).
 */
public final class Platforms {
    /** Pool settings of the benchmarks: 16 kept, 4 pre-forked (pool_acquire needs pre-forking). */
    public static final int POOL_SIZE = 16;
    public static final int PREFORK = 4;

    private Platforms() {
    }

    /** The host's arch name as Tether spells it. */
    public static String arch() {
        return HostArch.current().archName();
    }

    private static <T> T make(String simpleName, Class<T> type) {
        String name = HostArch.current().className(simpleName);
        try {
            return type.cast(Class.forName(name).getConstructor().newInstance());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot instantiate the " + arch() + " " + simpleName + " (" + name + ")", e);
        }
    }

    /** A contained platform with {@code tracers} tracer threads and the benchmark pool settings. */
    public static StubPlatformImpl create(int tracers, int poolSize, int prefork) {
        return new StubPlatformImpl(make("RegisterLayout", RegisterLayout.class), make("StubProgram", StubProgram.class),
                make("SyscallTable", SyscallTable.class), make("SeccompContribution", SeccompContribution.class),
                new Settings(FailureMode.CONTAINED, tracers, poolSize, prefork));
    }

    public static StubPlatformImpl create() {
        return create(2, POOL_SIZE, PREFORK);
    }

    /**
     * A platform for the guest ops: without CPUID faulting, like the guest floor's guest (README,
     * Guests), and its ptrace guest platform.
     */
    public static dev.tether.core.GuestPlatformImpl guests(StubPlatformImpl[] keep) {
        StubPlatformImpl p = new StubPlatformImpl(make("RegisterLayout", RegisterLayout.class), make("StubProgram", StubProgram.class),
                make("SyscallTable", SyscallTable.class), make("SeccompContribution", SeccompContribution.class),
                new Settings(FailureMode.CONTAINED, 1, 2, 0).withCpuidFaulting(false));
        keep[0] = p;
        return new dev.tether.core.GuestPlatformImpl(p, make("GuestArch", dev.tether.spi.GuestArch.class));
    }

    /** The guest_syscall ops' guest on {@code p} (with whatever CPUID faulting {@code p} has). */
    public static dev.tether.bench.engine.GuestBench guestBench(StubPlatformImpl p) {
        return new dev.tether.bench.engine.GuestBench(new dev.tether.core.GuestPlatformImpl(p,
                make("GuestArch", dev.tether.spi.GuestArch.class)), guestCode(p));
    }

    /** The arch's guest code for the guest ops: its write + exit_group code with getpid's number where it writes. */
    public static byte[] guestCode(StubPlatformImpl p) {
        dev.tether.guest.kernel.spi.LinuxAbi abi = make("LinuxAbi", dev.tether.guest.kernel.spi.LinuxAbi.class);
        return abi.helloCode(0, 0, p.syscallNumber("getpid"), p.syscallNumber("exit_group"));
    }
}
