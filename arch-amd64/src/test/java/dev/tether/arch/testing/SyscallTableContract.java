package dev.tether.arch.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.seccomp.ForeignAbi;
import dev.tether.seccomp.SeccompContribution;
import dev.tether.seccomp.SyscallTable;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Behaviour every arch bundle's {@link SyscallTable} must have, and the {@code META-INF/services}
 * entries of the bundle. Extended by the arch bundles' {@code *SyscallTableTest}s, which add the
 * numbers of the kernel's syscall tables and the shape of their arch's table.
 */
public abstract class SyscallTableContract {
    /**
     * What one arch's table must say.
     *
     * @param auditArch its {@code AUDIT_ARCH_*} (include/uapi/linux/audit.h)
     * @param sourceHeader a header that {@link SyscallTable#source()} must name
     * @param absentName a real Linux syscall this arch does not have
     * @param contribution the bundle's seccomp contribution, listed next to the table in META-INF/services
     * @param foreignAbi the other ABI sharing the audit arch (x32 on amd64), or null
     */
    public record Facts(String arch, int auditArch, String sourceHeader, String absentName,
            Class<? extends SeccompContribution> contribution, ForeignAbi foreignAbi) {
    }

    /** The table under test. */
    protected final SyscallTable table;

    private final Facts facts;

    protected SyscallTableContract(SyscallTable table, Facts facts) {
        this.table = table;
        this.facts = facts;
    }

    @Test
    void roundTripsEveryEntryWithoutDuplicates() {
        Map<String, Integer> all = table.all();
        Set<Integer> numbers = new HashSet<>();
        int previous = -1;
        for (Map.Entry<String, Integer> e : all.entrySet()) {
            assertTrue(numbers.add(e.getValue()), "number " + e.getValue() + " twice");
            assertTrue(e.getValue() > previous, "not ordered by number at " + e.getKey());
            previous = e.getValue();
            assertEquals(e.getValue(), table.number(e.getKey()).getAsInt());
            assertEquals(e.getKey(), table.name(e.getValue()).orElseThrow());
        }
        assertThrows(UnsupportedOperationException.class, () -> all.put("x", 1));
    }

    @Test
    void unknownNamesAreClearErrors() {
        assertTrue(table.number("no_such_syscall").isEmpty());
        assertTrue(table.name(-1).isEmpty());
        assertTrue(table.name(100_000).isEmpty());
        String absent = facts.absentName();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> table.require(absent));
        assertTrue(e.getMessage().contains(absent) && e.getMessage().contains(facts.arch()), e.getMessage());
    }

    @Test
    void auditArchAndSource() {
        assertEquals(facts.arch(), table.arch());
        assertEquals(facts.auditArch(), table.auditArch());
        assertTrue(table.source().contains(facts.sourceHeader()), table.source());
        assertTrue(table.toString().contains(table.all().size() + " syscalls"), table.toString());
    }

    @Test
    void foreignAbiNumbersAreAboveTheTable() {
        assertEquals(Optional.ofNullable(facts.foreignAbi()), table.foreignAbi());
        table.foreignAbi().ifPresent(abi -> {
            for (int nr : table.all().values()) {
                assertTrue(!abi.owns(nr), "native syscall " + nr + " looks like an " + abi.name() + " one");
            }
            assertTrue(!abi.owns(-1), "-1 (a skipped syscall) is nobody's");
        });
    }

    @Test
    void serviceLoaderFindsTheTableAndTheContribution() {
        List<String> tables = ServiceLoader.load(SyscallTable.class).stream()
                .map(p -> p.type().getName()).collect(Collectors.toList());
        assertTrue(tables.contains(table.getClass().getName()), tables.toString());
        List<String> contributions = ServiceLoader.load(SeccompContribution.class).stream()
                .map(p -> p.type().getName()).collect(Collectors.toList());
        assertTrue(contributions.contains(facts.contribution().getName()), contributions.toString());
    }
}
