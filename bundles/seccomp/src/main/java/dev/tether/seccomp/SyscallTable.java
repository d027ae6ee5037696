package dev.tether.seccomp;

import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The syscall ABI of one architecture: its audit arch and the complete name &lt;-&gt; number table
 * of the kernel. Implemented by the arch bundles and registered as an OSGi service with the
 * property {@code tether.arch} (e.g. {@code amd64}).
 */
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
     * The number of {@code name}.
     *
     * @throws IllegalArgumentException naming the syscall and the arch when unknown
     */
    default int require(String name) {
        return number(name).orElseThrow(() -> new IllegalArgumentException(
                "unknown syscall \"" + name + "\" on " + arch()));
    }
}
