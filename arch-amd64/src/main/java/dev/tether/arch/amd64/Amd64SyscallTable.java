package dev.tether.arch.amd64;

import dev.tether.seccomp.SyscallTable;
import dev.tether.spi.ArchService;
import dev.tether.spi.support.GeneratedSyscallTable;
import org.osgi.service.component.annotations.Component;

/**
 * The complete x86-64 syscall table, from the generated {@link Amd64Sysno}, and the audit arch
 * that {@code seccomp_data.arch} carries on x86-64.
 */
@Component(service = SyscallTable.class, property = ArchService.ARCH_PROPERTY + "=" + Amd64SyscallTable.ARCH)
public final class Amd64SyscallTable extends GeneratedSyscallTable {
    /** Tether's name of this architecture. */
    static final String ARCH = "amd64";

    /** AUDIT_ARCH_X86_64 = EM_X86_64 (62) | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE (include/uapi/linux/audit.h). */
    static final int AUDIT_ARCH_X86_64 = 0xc000003e;

    /** Public no-arg constructor, for DS and {@link java.util.ServiceLoader}. */
    public Amd64SyscallTable() {
        super(ARCH, AUDIT_ARCH_X86_64, Amd64Sysno.SOURCE, Amd64Sysno.NAMES, Amd64Sysno.NUMBERS);
    }
}
