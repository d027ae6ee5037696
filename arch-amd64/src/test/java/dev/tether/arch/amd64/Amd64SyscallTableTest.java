package dev.tether.arch.amd64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.seccomp.SeccompContribution;
import dev.tether.seccomp.SyscallTable;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class Amd64SyscallTableTest {
    private final SyscallTable table = new Amd64SyscallTable();

    /** Spec Appendix A, x86-64 column. */
    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource({
        "mmap,9", "munmap,11", "rt_sigprocmask,14", "sched_yield,24", "getpid,39", "clone,56", "exit,60",
        "wait4,61", "kill,62", "gettimeofday,96", "ptrace,101", "getuid,102", "getppid,110", "setsid,112",
        "prctl,157", "arch_prctl,158", "gettid,186", "time,201", "sched_setaffinity,203", "tgkill,234",
        "rt_tgsigqueueinfo,297", "getcpu,309", "seccomp,317", "rseq,334",
    })
    void appendixANumbers(String name, int nr) {
        assertEquals(nr, table.require(name));
        assertEquals(name, table.name(nr).orElseThrow());
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
    void countAndRangeAreSane() {
        Map<String, Integer> all = table.all();
        assertTrue(all.size() >= 350 && all.size() <= 420, "amd64 has ~360 syscalls, table has " + all.size());
        assertEquals(0, all.get("read"), "the table starts at read = 0");
        int max = all.values().stream().mapToInt(Integer::intValue).max().orElseThrow();
        assertTrue(max >= 440 && max < 600, "highest number " + max);
        // 0..334 are dense on x86-64; 335..423 were never used (the y2038 range is 32-bit only).
        for (int nr = 0; nr <= 334; nr++) {
            assertTrue(table.name(nr).isPresent(), "hole at " + nr);
        }
        for (int nr = 335; nr < 424; nr++) {
            assertFalse(table.name(nr).isPresent(), "unexpected syscall " + nr);
        }
    }

    @Test
    void unknownNamesAreClearErrors() {
        assertTrue(table.number("no_such_syscall").isEmpty());
        assertTrue(table.name(-1).isEmpty());
        assertTrue(table.name(100_000).isEmpty());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> table.require("renameat3"));
        assertTrue(e.getMessage().contains("renameat3") && e.getMessage().contains("amd64"), e.getMessage());
    }

    @Test
    void auditArchAndSource() {
        assertEquals("amd64", table.arch());
        assertEquals(0xc000003e, table.auditArch());
        assertTrue(table.source().contains("unistd_64.h"), table.source());
    }

    @Test
    void serviceLoaderFindsTheTableAndTheContribution() {
        List<String> tables = ServiceLoader.load(SyscallTable.class).stream()
                .map(p -> p.type().getName()).collect(Collectors.toList());
        assertTrue(tables.contains(Amd64SyscallTable.class.getName()), tables.toString());
        List<String> contributions = ServiceLoader.load(SeccompContribution.class).stream()
                .map(p -> p.type().getName()).collect(Collectors.toList());
        assertTrue(contributions.contains(Amd64SeccompContribution.class.getName()), contributions.toString());
    }
}
