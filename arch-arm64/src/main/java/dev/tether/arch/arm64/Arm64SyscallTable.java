package dev.tether.arch.arm64;

import dev.tether.seccomp.SyscallTable;
import dev.tether.spi.ArchService;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.osgi.service.component.annotations.Component;

/**
 * The complete aarch64 syscall table, from the generated {@link Arm64Sysno}, and the audit arch
 * that {@code seccomp_data.arch} carries on arm64.
 */
@Component(property = ArchService.ARCH_PROPERTY + "=" + Arm64SyscallTable.ARCH)
public final class Arm64SyscallTable implements SyscallTable {
    /** Tether's name of this architecture. */
    static final String ARCH = "arm64";

    /** AUDIT_ARCH_AARCH64 = EM_AARCH64 (183) | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE (include/uapi/linux/audit.h). */
    static final int AUDIT_ARCH_AARCH64 = 0xc00000b7;

    private static final Map<String, Integer> BY_NAME;
    private static final Map<Integer, String> BY_NUMBER;

    static {
        Map<String, Integer> byName = new LinkedHashMap<>();
        Map<Integer, String> byNumber = new HashMap<>();
        for (int i = 0; i < Arm64Sysno.NAMES.length; i++) {
            byName.put(Arm64Sysno.NAMES[i], Arm64Sysno.NUMBERS[i]);
            byNumber.put(Arm64Sysno.NUMBERS[i], Arm64Sysno.NAMES[i]);
        }
        BY_NAME = Collections.unmodifiableMap(byName);
        BY_NUMBER = Collections.unmodifiableMap(byNumber);
    }

    /** Public no-arg constructor, for DS and {@link java.util.ServiceLoader}. */
    public Arm64SyscallTable() {
    }

    @Override
    public String arch() {
        return ARCH;
    }

    @Override
    public int auditArch() {
        return AUDIT_ARCH_AARCH64;
    }

    @Override
    public OptionalInt number(String name) {
        Integer nr = BY_NAME.get(name);
        return nr == null ? OptionalInt.empty() : OptionalInt.of(nr);
    }

    @Override
    public Optional<String> name(int nr) {
        return Optional.ofNullable(BY_NUMBER.get(nr));
    }

    @Override
    public Map<String, Integer> all() {
        return BY_NAME;
    }

    @Override
    public String source() {
        return Arm64Sysno.SOURCE;
    }

    @Override
    public String toString() {
        return "SyscallTable[" + ARCH + ", " + BY_NAME.size() + " syscalls from " + source() + "]";
    }
}
