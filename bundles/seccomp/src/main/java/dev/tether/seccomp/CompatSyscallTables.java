package dev.tether.seccomp;

import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The syscall tables of the ABIs container profiles list beside the native one but on which no
 * Tether arch bundle runs stubs: i386 ({@code x86}), {@code x32} and 32-bit {@code arm} (EABI).
 * Data only ({@link CompatSysno}, generated from libseccomp's src/syscalls.csv), for multi-arch
 * filters ({@link MultiArchPolicy}).
 */
public final class CompatSyscallTables {
    /** AUDIT_ARCH_I386 = EM_386 (3) | __AUDIT_ARCH_LE (include/uapi/linux/audit.h). */
    public static final int AUDIT_ARCH_I386 = 0x40000003;
    /** AUDIT_ARCH_ARM = EM_ARM (40) | __AUDIT_ARCH_LE (include/uapi/linux/audit.h). */
    public static final int AUDIT_ARCH_ARM = 0x40000028;
    /** AUDIT_ARCH_X86_64 = EM_X86_64 (62) | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE: x32 shares it. */
    public static final int AUDIT_ARCH_X86_64 = 0xc000003e;
    /** AUDIT_ARCH_AARCH64 = EM_AARCH64 (183) | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE. */
    public static final int AUDIT_ARCH_AARCH64 = 0xc00000b7;
    /** __X32_SYSCALL_BIT (arch/x86/include/uapi/asm/unistd.h): set in every x32 syscall number. */
    public static final int X32_SYSCALL_BIT = 0x40000000;

    private static final SyscallTable I386 = new Table("x86", AUDIT_ARCH_I386, CompatSysno.X86_NAMES, CompatSysno.X86_NUMBERS, 0);
    private static final SyscallTable X32 = new Table("x32", AUDIT_ARCH_X86_64, CompatSysno.X32_NAMES, CompatSysno.X32_NUMBERS,
            X32_SYSCALL_BIT);
    private static final SyscallTable ARM = new Table("arm", AUDIT_ARCH_ARM, CompatSysno.ARM_NAMES, CompatSysno.ARM_NUMBERS, 0);

    private CompatSyscallTables() {
    }

    /** i386, Tether name {@code x86} (libseccomp's and moby's name). */
    public static SyscallTable i386() {
        return I386;
    }

    /** x32: numbers with {@link #X32_SYSCALL_BIT} set, audit arch AUDIT_ARCH_X86_64. */
    public static SyscallTable x32() {
        return X32;
    }

    /** 32-bit arm, EABI. */
    public static SyscallTable arm() {
        return ARM;
    }

    /** All three. */
    public static List<SyscallTable> all() {
        return List.of(I386, X32, ARM);
    }

    /** The table of {@code arch} ({@code x86}, {@code x32}, {@code arm}), if it is one of these. */
    public static Optional<SyscallTable> forArch(String arch) {
        return all().stream().filter(t -> t.arch().equals(arch)).findFirst();
    }

    /** A table over generated arrays; 32-bit arguments. */
    private static final class Table implements SyscallTable {
        private final String arch;
        private final int auditArch;
        private final Map<String, Integer> byName;
        private final Map<Integer, String> byNumber;

        Table(String arch, int auditArch, String[] names, int[] numbers, int bit) {
            this.arch = arch;
            this.auditArch = auditArch;
            Map<String, Integer> n2 = new LinkedHashMap<>();
            Map<Integer, String> r2 = new HashMap<>();
            for (int i = 0; i < names.length; i++) {
                int nr = numbers[i] | bit;
                if (n2.put(names[i], nr) != null || r2.put(nr, names[i]) != null) {
                    throw new IllegalStateException(arch + " syscall table repeats " + names[i] + " = " + nr);
                }
            }
            byName = Collections.unmodifiableMap(n2);
            byNumber = Collections.unmodifiableMap(r2);
        }

        @Override
        public String arch() {
            return arch;
        }

        @Override
        public int auditArch() {
            return auditArch;
        }

        @Override
        public OptionalInt number(String name) {
            Integer nr = byName.get(name);
            return nr == null ? OptionalInt.empty() : OptionalInt.of(nr);
        }

        @Override
        public Optional<String> name(int nr) {
            return Optional.ofNullable(byNumber.get(nr));
        }

        @Override
        public Map<String, Integer> all() {
            return byName;
        }

        @Override
        public String source() {
            return CompatSysno.SOURCE;
        }

        @Override
        public int argumentBits() {
            return 32;
        }

        @Override
        public String toString() {
            return arch + " syscall table (" + byName.size() + " syscalls, " + CompatSysno.SOURCE + ")";
        }
    }
}
