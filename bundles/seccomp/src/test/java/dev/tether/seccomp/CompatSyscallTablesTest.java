package dev.tether.seccomp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CompatSyscallTablesTest {
    @Test
    void knownNumbersOfEachAbi() {
        // arch/x86/entry/syscalls/syscall_32.tbl: 3 read, 102 socketcall, 192 mmap2
        assertEquals(3, CompatSyscallTables.i386().require("read"));
        assertEquals(102, CompatSyscallTables.i386().require("socketcall"));
        assertEquals(192, CompatSyscallTables.i386().require("mmap2"));
        // syscall_64.tbl: x32 read = 0 (common), rt_sigaction = 512 (x32 row), both | __X32_SYSCALL_BIT
        assertEquals(0x40000000, CompatSyscallTables.x32().require("read"));
        assertEquals(0x40000000 | 512, CompatSyscallTables.x32().require("rt_sigaction"));
        // arch/arm/tools/syscall.tbl: 3 read; 0x0f0002 cacheflush (__ARM_NR_BASE + 2)
        assertEquals(3, CompatSyscallTables.arm().require("read"));
        assertEquals(0x0f0002, CompatSyscallTables.arm().require("cacheflush"));
    }

    @Test
    void tablesReachTheNewestSyscalls() {
        for (SyscallTable t : CompatSyscallTables.all()) {
            for (String n : new String[] {"cachestat", "fchmodat2", "map_shadow_stack", "futex_wake", "futex_wait",
                "futex_requeue", "mseal", "listmount", "statmount"}) {
                assertTrue(t.number(n).isPresent(), n + " on " + t.arch());
            }
            assertEquals(32, t.argumentBits(), t.arch());
        }
        assertEquals(462, CompatSyscallTables.i386().require("mseal"));
        assertEquals(0x40000000 | 462, CompatSyscallTables.x32().require("mseal"));
    }

    @Test
    void auditArches() {
        assertEquals(0x40000003, CompatSyscallTables.i386().auditArch());
        assertEquals(0x40000028, CompatSyscallTables.arm().auditArch());
        assertEquals(0xc000003e, CompatSyscallTables.x32().auditArch());
        assertTrue(CompatSyscallTables.forArch("x86").isPresent());
        assertTrue(CompatSyscallTables.forArch("mips").isEmpty());
    }
}
