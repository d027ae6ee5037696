package dev.tether.arch.arm64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.arch.testing.SyscallTableContract;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class Arm64SyscallTableTest extends SyscallTableContract {
    Arm64SyscallTableTest() {
        // 0xc00000b7 = AUDIT_ARCH_AARCH64; open(2) is x86-only, asm-generic has only openat
        super(new Arm64SyscallTable(),
                new Facts("arm64", 0xc00000b7, "asm-generic/unistd.h", "open", Arm64SeccompContribution.class, null));
    }

    /** From the kernel's include/uapi/asm-generic/unistd.h (arm64 uses the generic table). */
    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource({
        "mmap,222", "munmap,215", "rt_sigprocmask,135", "sched_yield,124", "getpid,172", "clone,220", "exit,93",
        "wait4,260", "kill,129", "gettimeofday,169", "ptrace,117", "getuid,174", "getppid,173", "setsid,157",
        "prctl,167", "gettid,178", "sched_setaffinity,122", "tgkill,131", "rt_tgsigqueueinfo,240", "getcpu,168",
        "seccomp,277", "rseq,293",
    })
    void appendixANumbers(String name, int nr) {
        assertEquals(nr, table.require(name));
        assertEquals(name, table.name(nr).orElseThrow());
    }

    /**
     * What arch/arm64/include/uapi/asm/unistd.h makes of asm-generic/unistd.h: the __NR3264_
     * aliases under their 64-bit names, and the __ARCH_WANT_* sections arm64 turns on.
     */
    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource({
        "fcntl,25", "statfs,43", "fstatfs,44", "truncate,45", "ftruncate,46", "lseek,62", "sendfile,71",
        "newfstatat,79", "fstat,80", "mmap,222", "fadvise64,223",
        "renameat,38", "getrlimit,163", "setrlimit,164", "clone3,435", "memfd_secret,447", "sync_file_range,84",
        "renameat2,276", "io_setup,0", "kexec_file_load,294",
    })
    void genericTableAsArm64SeesIt(String name, int nr) {
        assertEquals(nr, table.require(name));
    }

    /** Not on arm64: legacy calls asm-generic never had, 32-bit names, and switches arm64 leaves off. */
    @ParameterizedTest
    @ValueSource(strings = {"open", "fork", "stat", "lstat", "pipe", "time", "arch_prctl", "mmap2", "fcntl64",
        "fstatat64", "llseek", "sync_file_range2", "arch_specific_syscall", "syscalls", "clock_gettime64"})
    void absentOnArm64(String name) {
        assertTrue(table.number(name).isEmpty(), name + " must not be in the arm64 table");
    }

    @Test
    void countAndRangeAreSane() {
        Map<String, Integer> all = table.all();
        assertTrue(all.size() >= 280 && all.size() <= 350, "arm64 has ~300 syscalls, table has " + all.size());
        int max = all.values().stream().mapToInt(Integer::intValue).max().orElseThrow();
        assertTrue(max >= 440 && max < 600, "highest number " + max);
        // 244..259 are reserved for arch-specific calls, which arm64 does not use.
        for (int nr = 244; nr <= 259; nr++) {
            assertFalse(table.name(nr).isPresent(), "unexpected syscall " + nr);
        }
    }
}
