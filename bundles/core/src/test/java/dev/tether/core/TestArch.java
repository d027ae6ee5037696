package dev.tether.core;

import dev.tether.api.HostArch;
import dev.tether.seccomp.SeccompContribution;
import dev.tether.seccomp.SyscallTable;
import dev.tether.spi.RegisterLayout;
import dev.tether.spi.StubProgram;

/**
 * The arch services of this host ({@link HostArch#current()}), instantiated directly (no OSGi)
 * for kernel tests. Tests may read os.arch; product code may not (the platform composes the arch
 * services that are registered).
 */
final class TestArch {
    static final HostArch HOST = HostArch.current();
    /** The host's arch name, as the platform reports it. */
    static final String ARCH = HOST.archName();

    private TestArch() {
    }

    private static <T> T make(String simpleName, Class<T> type) {
        String name = HOST.className(simpleName);
        try {
            return type.cast(Class.forName(name).getConstructor().newInstance());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot instantiate the " + ARCH + " " + simpleName + " (" + name + ")", e);
        }
    }

    static RegisterLayout layout() { return make("RegisterLayout", RegisterLayout.class); }

    static StubProgram program() { return make("StubProgram", StubProgram.class); }

    static SyscallTable table() { return make("SyscallTable", SyscallTable.class); }

    static SeccompContribution contribution() { return make("SeccompContribution", SeccompContribution.class); }

    static dev.tether.guest.kernel.spi.LinuxAbi linuxAbi() { return make("LinuxAbi", dev.tether.guest.kernel.spi.LinuxAbi.class); }

    static dev.tether.spi.GuestArch guestArch() { return make("GuestArch", dev.tether.spi.GuestArch.class); }

    static StubPlatformImpl platform(Settings settings) {
        return new StubPlatformImpl(layout(), program(), table(), contribution(), settings);
    }
}
