package dev.tether.arch.amd64;

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
 * The complete x86-64 syscall table, from the generated {@link Amd64Sysno}, and the audit arch
 * that {@code seccomp_data.arch} carries on x86-64.
 */
@Component(property = ArchService.ARCH_PROPERTY + "=" + Amd64SyscallTable.ARCH)
public final class Amd64SyscallTable implements SyscallTable {
    /** Tether's name of this architecture. */
    static final String ARCH = "amd64";

    /** AUDIT_ARCH_X86_64 = EM_X86_64 (62) | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE (include/uapi/linux/audit.h). */
    static final int AUDIT_ARCH_X86_64 = 0xc000003e;

    private static final Map<String, Integer> BY_NAME;
    private static final Map<Integer, String> BY_NUMBER;

    static {
        Map<String, Integer> byName = new LinkedHashMap<>();
        Map<Integer, String> byNumber = new HashMap<>();
        for (int i = 0; i < Amd64Sysno.NAMES.length; i++) {
            byName.put(Amd64Sysno.NAMES[i], Amd64Sysno.NUMBERS[i]);
            byNumber.put(Amd64Sysno.NUMBERS[i], Amd64Sysno.NAMES[i]);
        }
        BY_NAME = Collections.unmodifiableMap(byName);
        BY_NUMBER = Collections.unmodifiableMap(byNumber);
    }

    /** Public no-arg constructor, for DS and {@link java.util.ServiceLoader}. */
    public Amd64SyscallTable() {
    }

    @Override
    public String arch() {
        return ARCH;
    }

    @Override
    public int auditArch() {
        return AUDIT_ARCH_X86_64;
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
        return Amd64Sysno.SOURCE;
    }

    @Override
    public String toString() {
        return "SyscallTable[" + ARCH + ", " + BY_NAME.size() + " syscalls from " + source() + "]";
    }
}
