package dev.tether.arch.amd64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.arch.testing.SyscallTableContract;
import dev.tether.seccomp.ForeignAbi;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class Amd64SyscallTableTest extends SyscallTableContract {
    Amd64SyscallTableTest() {
        // 0xc000003e = AUDIT_ARCH_X86_64; renameat3 does not exist anywhere
        super(new Amd64SyscallTable(),
                new Facts("amd64", 0xc000003e, "unistd_64.h", "renameat3", Amd64SeccompContribution.class,
                        new ForeignAbi("x32", 0x40000000)));
    }

    /**
     * The x32 bit against the kernel's own header, when it is installed (Debian linux-libc-dev):
     * {@code #define __X32_SYSCALL_BIT 0x40000000} in asm/unistd.h.
     */
    @Test
    void x32BitIsTheKernelHeaders() throws IOException {
        Path header = Path.of("/usr/include/x86_64-linux-gnu/asm/unistd.h");
        Assumptions.assumeTrue(Files.isReadable(header), header + " is not installed");
        Matcher m = Pattern.compile("#define\\s+__X32_SYSCALL_BIT\\s+(0x[0-9a-fA-F]+)").matcher(Files.readString(header));
        assertTrue(m.find(), "no __X32_SYSCALL_BIT in " + header);
        assertEquals(Integer.decode(m.group(1)).intValue(), table.foreignAbi().orElseThrow().syscallBit());
    }

    /** From the kernel's arch/x86/entry/syscalls/syscall_64.tbl. */
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
    void countAndRangeAreSane() {
        Map<String, Integer> all = table.all();
        assertTrue(all.size() >= 350 && all.size() <= 420, "amd64 has ~360 syscalls, table has " + all.size());
        assertEquals(0, all.get("read"), "the table starts at read = 0");
        int max = all.values().stream().mapToInt(Integer::intValue).max().orElseThrow();
        assertTrue(max >= 440 && max < 600, "highest number " + max);
        // 0..334 are dense on x86-64; then 335 uretprobe and 336 uprobe (arch/x86/entry/syscalls/
        // syscall_64.tbl, Linux 6.11 and later); 337..423 are unused (the y2038 range is 32-bit only).
        for (int nr = 0; nr <= 334; nr++) {
            assertTrue(table.name(nr).isPresent(), "hole at " + nr);
        }
        assertEquals("uretprobe", table.name(335).orElseThrow());
        assertEquals("uprobe", table.name(336).orElseThrow());
        // syscalls newer than the 6.1 headers (include/uapi/asm-generic/unistd.h numbering, shared by all arches)
        assertEquals(451, table.require("cachestat"));
        assertEquals(452, table.require("fchmodat2"));
        assertEquals(453, table.require("map_shadow_stack"));
        assertEquals(454, table.require("futex_wake"));
        assertEquals(462, table.require("mseal"));
        for (int nr = 337; nr < 424; nr++) {
            assertFalse(table.name(nr).isPresent(), "unexpected syscall " + nr);
        }
    }
}
