package dev.tether.arch.arm64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.arch.testing.StructLayouts;
import dev.tether.guest.kernel.MiniLinux;
import dev.tether.guest.kernel.testing.InMemoryGuestMemory;
import dev.tether.guest.kernel.testing.ScriptedGuestContext;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** arm64's Linux ABI facts for the guest kernel. */
class Arm64LinuxAbiTest {
    final Arm64LinuxAbi abi = new Arm64LinuxAbi();

    @TempDir
    Path tmp;

    /**
     * arm64 takes include/uapi/asm-generic/stat.h; on any 64-bit host gcc lays that header out as arm64 does
     * (only __BITS_PER_LONG matters to it), so the host's compiler is the oracle here too.
     */
    @Test
    void structStatIsTheGeneric64BitOne() throws Exception {
        StructLayouts.assertStatMatches(abi, StructLayouts.statLayout(tmp, "asm-generic/stat.h"));
    }

    /**
     * The same struct from arm64's own headers, laid out by the aarch64 cross compiler: what
     * {@code newfstatat}/{@code fstat} fill for a program built for arm64.
     */
    @Test
    void structStatIsArm64sAsTheArm64CompilerLaysItOut() throws Exception {
        StructLayouts.assertStatMatches(abi, Aarch64Gcc.statLayout(tmp, "asm/stat.h"));
    }

    /** The open flags arch/arm64/include/uapi/asm/fcntl.h redefines, from that header (by the cross compiler). */
    @Test
    void openFlagsAreArm64sHeaders() throws Exception {
        assertEquals(Aarch64Gcc.macro("asm/fcntl.h", "O_DIRECTORY"), abi.openDirectoryFlag());
        assertEquals(Aarch64Gcc.macro("asm/fcntl.h", "O_NOFOLLOW"), abi.openNoFollowFlag());
        assertEquals(Aarch64Gcc.macro("asm/fcntl.h", "O_LARGEFILE"), abi.openLargeFileFlag());
        assertEquals(Aarch64Gcc.macro("linux/elf-em.h", "EM_AARCH64"), abi.elfMachine());
    }

    /** arch/arm64/include/uapi/asm/fcntl.h (the values, as the header has them). */
    @Test
    void openFlagsDifferFromTheGenericOnes() throws Exception {
        assertEquals(040000, abi.openDirectoryFlag());
        assertEquals(0100000, abi.openNoFollowFlag());
        assertEquals(0400000, abi.openLargeFileFlag());
        // the generic values (x86-64's) are others: a guest kernel must not use those on arm64
        assertTrue(StructLayouts.macro("asm-generic/fcntl.h", "O_DIRECTORY") != abi.openDirectoryFlag());
        assertEquals(StructLayouts.macro("linux/elf-em.h", "EM_AARCH64"), abi.elfMachine());
    }

    @Test
    void startRegistersZeroX0ToX30AndTheThreadPointer() {
        ScriptedGuestContext ctx = ScriptedGuestContext.arm64();
        for (String r : ctx.registers().names()) {
            ctx.setRegister(r, 0x44);
        }
        ctx.setTls(9);
        abi.startRegisters(ctx, 0x400100, 0xfffff000L);
        assertEquals(0x400100, ctx.register("pc"));
        assertEquals(0xfffff000L, ctx.register("sp"));
        for (int i = 0; i <= 30; i++) {
            assertEquals(0, ctx.register("x" + i), "x" + i);
        }
        assertEquals(0x44, ctx.register("pstate"));
        assertEquals(0, ctx.tls());
    }

    @Test
    void noArchPrctlNoCpuid() {
        ScriptedGuestContext ctx = ScriptedGuestContext.arm64();
        assertEquals(-38, abi.archPrctl(ctx, InMemoryGuestMemory.amd64Like(), 0x1002, 0));
        assertFalse(abi.emulateCpuid(ctx));
    }

    @Test
    void miniLinuxOnTheRealTableHasOnlyTheGenericCalls() {
        MiniLinux k = new MiniLinux(new Arm64SyscallTable(), abi);
        assertTrue(k.implemented().containsAll(List.of("openat", "newfstatat", "fstat", "getdents64", "readlinkat",
                "faccessat", "dup3", "mmap", "brk", "clone", "execve", "getrlimit", "prlimit64", "exit_group")));
        assertFalse(k.implemented().contains("open"), "arm64 has no open(2), only openat");
        assertFalse(k.implemented().contains("arch_prctl"));
        assertEquals("openat", k.syscallName(56));
    }
}
