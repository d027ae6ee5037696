package dev.tether.arch.amd64;

import dev.tether.seccomp.ForeignAbi;
import dev.tether.seccomp.SyscallTable;
import dev.tether.spi.TetherArch;
import dev.tether.spi.support.GeneratedSyscallTable;
import java.util.Optional;
import org.osgi.service.component.annotations.Component;

/**
 * The complete x86-64 syscall table, from the generated {@link Amd64Sysno}, the audit arch that
 * {@code seccomp_data.arch} carries on x86-64, and the x32 ABI that shares it.
 */
@Component(service = SyscallTable.class)
@TetherArch(Amd64SyscallTable.ARCH)
public final class Amd64SyscallTable extends GeneratedSyscallTable {
    /** Tether's name of this architecture. */
    static final String ARCH = "amd64";

    /** AUDIT_ARCH_X86_64 = EM_X86_64 (62) | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE (include/uapi/linux/audit.h). */
    static final int AUDIT_ARCH_X86_64 = 0xc000003e;

    /**
     * __X32_SYSCALL_BIT (arch/x86/include/uapi/asm/unistd.h): set in the number of every x32 ABI
     * syscall, which the kernel runs (when built with CONFIG_X86_X32_ABI) under the same
     * AUDIT_ARCH_X86_64. libseccomp's X32_SYSCALL_BIT (src/arch-x32.h).
     */
    static final int X32_SYSCALL_BIT = 0x40000000;

    /** The x32 ABI: its syscall numbers are x86-64 filters' business too. */
    static final ForeignAbi X32 = new ForeignAbi("x32", X32_SYSCALL_BIT);

    /** Public no-arg constructor, for DS and {@link java.util.ServiceLoader}. */
    public Amd64SyscallTable() {
        super(ARCH, AUDIT_ARCH_X86_64, Amd64Sysno.SOURCE, Amd64Sysno.NAMES, Amd64Sysno.NUMBERS);
    }

    /** {@link #X32}. */
    @Override
    public Optional<ForeignAbi> foreignAbi() {
        return Optional.of(X32);
    }
}
