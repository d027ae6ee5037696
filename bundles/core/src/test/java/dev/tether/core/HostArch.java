package dev.tether.core;

import dev.tether.seccomp.SeccompContribution;
import dev.tether.seccomp.SyscallTable;
import dev.tether.spi.RegisterLayout;
import dev.tether.spi.StubProgram;

/**
 * The arch services of this host, instantiated directly (no OSGi) for kernel tests. Tests may read
 * os.arch; product code may not (DESIGN rule 1).
 */
final class HostArch {
    static final String ARCH = switch0(System.getProperty("os.arch"));
    private static final String PREFIX = ARCH.equals("amd64") ? "Amd64" : "Arm64";

    private HostArch() {
    }

    private static String switch0(String osArch) {
        if (osArch.equals("amd64") || osArch.equals("x86_64")) {
            return "amd64";
        }
        if (osArch.equals("aarch64") || osArch.equals("arm64")) {
            return "arm64";
        }
        throw new IllegalStateException("no Tether arch bundle for os.arch " + osArch);
    }

    private static <T> T make(String simpleName, Class<T> type) {
        try {
            return type.cast(Class.forName("dev.tether.arch." + ARCH + "." + PREFIX + simpleName)
                    .getConstructor().newInstance());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot instantiate the " + ARCH + " " + simpleName, e);
        }
    }

    static RegisterLayout layout() { return make("RegisterLayout", RegisterLayout.class); }

    static StubProgram program() { return make("StubProgram", StubProgram.class); }

    static SyscallTable table() { return make("SyscallTable", SyscallTable.class); }

    static SeccompContribution contribution() { return make("SeccompContribution", SeccompContribution.class); }

    static StubPlatformImpl platform(Settings settings) {
        return new StubPlatformImpl(layout(), program(), table(), contribution(), settings);
    }
}
