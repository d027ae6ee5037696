package dev.tether.seccomp;

import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The syscall ABI of one architecture: its audit arch and the complete name &lt;-&gt; number table
 * of the kernel. Implemented by the arch bundles and registered as an OSGi service with the
 * property {@code tether.arch} (e.g. {@code amd64}).
 */
@org.osgi.annotation.versioning.ConsumerType
public interface SyscallTable {
    /** Tether's name of the architecture: {@code amd64} or {@code arm64}. */
    String arch();

    /** {@code AUDIT_ARCH_*} (include/uapi/linux/audit.h) that seccomp_data.arch carries. */
    int auditArch();

    /** The number of {@code name}, if the kernel has that syscall on this arch. */
    OptionalInt number(String name);

    /** The name of syscall {@code nr}, if any. */
    Optional<String> name(int nr);

    /** Every syscall, ordered by number (name -&gt; number). */
    Map<String, Integer> all();

    /** Where the table came from (header and kernel version). */
    String source();

    /**
     * The other syscall ABI that shares this arch's audit arch, if any: x32 on amd64
     * ({@code __X32_SYSCALL_BIT}, arch/x86/include/uapi/asm/unistd.h), none on arm64. Compiled
     * filters give its syscall numbers the bad-arch action unless the policy says otherwise
     * ({@link Policy#foreignAbiSyscalls()}).
     */
    default Optional<ForeignAbi> foreignAbi() {
        return Optional.empty();
    }

    /**
     * How wide this ABI's syscall arguments are: 64, or 32 for a 32-bit ABI (i386, arm, x32),
     * whose filters compare only the low 32 bits of each argument, as libseccomp does for an arch
     * of {@code ARCH_SIZE_32} (src/arch-x86.c, src/arch-arm.c, src/arch-x32.c).
     */
    default int argumentBits() {
        return 64;
    }

    /**
     * The number of {@code name}.
     *
     * @throws IllegalArgumentException naming the syscall and the arch when unknown
     */
    default int require(String name) {
        return number(name).orElseThrow(() -> new IllegalArgumentException(
                "unknown syscall \"" + name + "\" on " + arch()));
    }
}
