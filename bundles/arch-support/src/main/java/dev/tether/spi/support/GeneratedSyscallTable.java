package dev.tether.spi.support;

import dev.tether.seccomp.SyscallTable;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A {@link SyscallTable} over a generated table: parallel arrays of names and numbers, ordered by
 * number, as an arch bundle's {@code *Sysno} class holds them. A subclass passes its arch, its
 * {@code AUDIT_ARCH_*} value and the generated arrays to the constructor.
 *
 * <p>Immutable and thread-safe.
 */
@org.osgi.annotation.versioning.ConsumerType
public abstract class GeneratedSyscallTable implements SyscallTable {
    private final String arch;
    private final int auditArch;
    private final String source;
    private final Map<String, Integer> byName;
    private final Map<Integer, String> byNumber;

    /**
     * @param arch Tether's name of the architecture
     * @param auditArch the {@code AUDIT_ARCH_*} value that seccomp_data.arch carries on it
     * @param source where the table came from (header and kernel version)
     * @param names every syscall name, in number order
     * @param numbers the numbers of {@code names}, at the same indices
     * @throws IllegalArgumentException when the arrays differ in length or a name or a number
     *     appears twice
     */
    protected GeneratedSyscallTable(String arch, int auditArch, String source, String[] names, int[] numbers) {
        this.arch = Objects.requireNonNull(arch, "arch");
        this.auditArch = auditArch;
        this.source = Objects.requireNonNull(source, "source");
        if (names.length != numbers.length) {
            throw new IllegalArgumentException(arch + " syscall table: " + names.length + " names but "
                    + numbers.length + " numbers");
        }
        Map<String, Integer> name2nr = new LinkedHashMap<>();
        Map<Integer, String> nr2name = new HashMap<>();
        for (int i = 0; i < names.length; i++) {
            String previous = nr2name.put(numbers[i], names[i]);
            if (name2nr.put(names[i], numbers[i]) != null || previous != null) {
                throw new IllegalArgumentException(arch + " syscall table: " + names[i] + " = " + numbers[i]
                        + " repeats a name or a number (entry " + i + ")");
            }
        }
        this.byName = Collections.unmodifiableMap(name2nr);
        this.byNumber = Collections.unmodifiableMap(nr2name);
    }

    @Override
    public final String arch() {
        return arch;
    }

    @Override
    public final int auditArch() {
        return auditArch;
    }

    @Override
    public final OptionalInt number(String name) {
        Integer nr = byName.get(name);
        return nr == null ? OptionalInt.empty() : OptionalInt.of(nr);
    }

    @Override
    public final Optional<String> name(int nr) {
        return Optional.ofNullable(byNumber.get(nr));
    }

    @Override
    public final Map<String, Integer> all() {
        return byName;
    }

    @Override
    public final String source() {
        return source;
    }

    @Override
    public String toString() {
        return "SyscallTable[" + arch + ", " + byName.size() + " syscalls from " + source + "]";
    }
}
