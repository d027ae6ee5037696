package dev.tether.arch.arm64;

import dev.tether.seccomp.SyscallTable;
import dev.tether.spi.TetherArch;
import dev.tether.spi.support.GeneratedSyscallTable;
import org.osgi.service.component.annotations.Component;

/**
 * The complete aarch64 syscall table, from the generated {@link Arm64Sysno}, and the audit arch
 * that {@code seccomp_data.arch} carries on arm64.
 */
@Component(service = SyscallTable.class)
@TetherArch(Arm64SyscallTable.ARCH)
public final class Arm64SyscallTable extends GeneratedSyscallTable {
    /** Tether's name of this architecture. */
    static final String ARCH = "arm64";

    /** AUDIT_ARCH_AARCH64 = EM_AARCH64 (183) | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE (include/uapi/linux/audit.h). */
    static final int AUDIT_ARCH_AARCH64 = 0xc00000b7;

    /** Public no-arg constructor, for DS and {@link java.util.ServiceLoader}. */
    public Arm64SyscallTable() {
        super(ARCH, AUDIT_ARCH_AARCH64, Arm64Sysno.SOURCE, Arm64Sysno.NAMES, Arm64Sysno.NUMBERS);
    }
}
