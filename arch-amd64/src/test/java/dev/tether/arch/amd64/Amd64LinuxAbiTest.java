package dev.tether.arch.amd64;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.arch.testing.StructLayouts;
import dev.tether.guest.kernel.MiniLinux;
import dev.tether.guest.kernel.SyscallTracer;
import dev.tether.guest.kernel.testing.InMemoryGuestMemory;
import dev.tether.guest.kernel.testing.ScriptedGuestContext;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/** x86-64's Linux ABI facts for the guest kernel, checked against the host's kernel headers where it is x86-64. */
class Amd64LinuxAbiTest {
    final Amd64LinuxAbi abi = new Amd64LinuxAbi();

    @TempDir
    Path tmp;

    @Test
    @EnabledIfSystemProperty(named = "os.arch", matches = "amd64")
    void structStatIsAsmStatHAsGccLaysItOut() throws Exception {
        StructLayouts.assertStatMatches(abi, StructLayouts.statLayout(tmp, "asm/stat.h"));
    }

    @Test
    @EnabledIfSystemProperty(named = "os.arch", matches = "amd64")
    void openFlagsAreTheHeaders() throws Exception {
        assertEquals(StructLayouts.macro("asm/fcntl.h", "O_DIRECTORY"), abi.openDirectoryFlag());
        assertEquals(StructLayouts.macro("asm/fcntl.h", "O_NOFOLLOW"), abi.openNoFollowFlag());
        assertEquals(StructLayouts.macro("asm/fcntl.h", "O_LARGEFILE"), abi.openLargeFileFlag());
        assertEquals(StructLayouts.macro("linux/elf-em.h", "EM_X86_64"), abi.elfMachine());
        assertEquals(StructLayouts.macro("asm/prctl.h", "ARCH_SET_FS"), Amd64LinuxAbi.ARCH_SET_FS);
        assertEquals(StructLayouts.macro("asm/prctl.h", "ARCH_GET_FS"), Amd64LinuxAbi.ARCH_GET_FS);
    }

    @Test
    void startRegistersZeroTheGeneralOnesAndKeepTheSegments() {
        ScriptedGuestContext ctx = ScriptedGuestContext.amd64();
        for (String r : ctx.registers().names()) {
            ctx.setRegister(r, 0x33);
        }
        ctx.setTls(0x77);
        abi.startRegisters(ctx, 0x401000, 0x7ffc0000);
        assertEquals(0x401000, ctx.register("rip"));
        assertEquals(0x7ffc0000, ctx.register("rsp"));
        assertEquals(0, ctx.register("rdx"), "no rtld_fini for _start");
        assertEquals(0, ctx.register("rax"));
        assertEquals(0, ctx.tls());
        assertEquals(0x33, ctx.register("cs"));
        assertEquals(0x33, ctx.register("ss"));
        assertEquals(0x33, ctx.register("eflags"));
    }

    @Test
    void archPrctlSetsAndReadsTheThreadPointer() {
        ScriptedGuestContext ctx = ScriptedGuestContext.amd64();
        InMemoryGuestMemory mem = InMemoryGuestMemory.amd64Like();
        mem.map(0x10000, 4096, 3);
        assertEquals(0, abi.archPrctl(ctx, mem, Amd64LinuxAbi.ARCH_SET_FS, 0x4c8000));
        assertEquals(0x4c8000, ctx.tls());
        assertEquals(0, abi.archPrctl(ctx, mem, Amd64LinuxAbi.ARCH_GET_FS, 0x10000));
        assertEquals(0x4c8000, ByteBuffer.wrap(mem.peek(0x10000, 8)).order(ByteOrder.LITTLE_ENDIAN).getLong());
        assertEquals(-1, abi.archPrctl(ctx, mem, Amd64LinuxAbi.ARCH_SET_FS, 1L << 47), "EPERM: not a user address");
        assertEquals(-14, abi.archPrctl(ctx, mem, Amd64LinuxAbi.ARCH_GET_FS, 0x20000), "EFAULT");
        assertEquals(0, abi.archPrctl(ctx, mem, Amd64LinuxAbi.ARCH_SET_GS, 0x1234));
        assertEquals(0x1234, ctx.register("gs_base"));
        assertEquals(-22, abi.archPrctl(ctx, mem, 0x3001, 0), "EINVAL");
    }

    @Test
    void cpuidIsABaselineX8664() {
        ScriptedGuestContext ctx = ScriptedGuestContext.amd64();
        ctx.setRegister("rip", 0x401000);
        ctx.setRegister("rax", 0);
        assertTrue(abi.emulateCpuid(ctx));
        assertEquals(0x401002, ctx.register("rip"), "past 0F A2");
        assertEquals(1, ctx.register("rax"), "highest basic leaf");
        byte[] vendor = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt((int) ctx.register("rbx"))
                .putInt((int) ctx.register("rdx")).putInt((int) ctx.register("rcx")).array();
        assertEquals("TetherGuestX", new String(vendor, StandardCharsets.US_ASCII));
        ctx.setRegister("rax", 1);
        abi.emulateCpuid(ctx);
        long edx = ctx.register("rdx");
        for (int bit : new int[] {0, 4, 8, 15, 23, 24, 25, 26}) {
            assertTrue((edx & (1L << bit)) != 0, "leaf 1 edx bit " + bit);
        }
        assertEquals(0, ctx.register("rcx"), "no SSE3 and beyond");
        ctx.setRegister("rax", 0x80000001L);
        abi.emulateCpuid(ctx);
        assertEquals((1L << 11) | (1L << 20) | (1L << 29), ctx.register("rdx"), "SYSCALL, NX, LM");
        ctx.setRegister("rax", 7);
        abi.emulateCpuid(ctx);
        assertArrayEquals(new long[4], new long[] {ctx.register("rax"), ctx.register("rbx"), ctx.register("rcx"),
            ctx.register("rdx")});
    }

    @Test
    void miniLinuxOnTheRealTableDispatchesTheX86Calls() {
        MiniLinux k = new MiniLinux(new Amd64SyscallTable(), abi);
        assertTrue(k.implemented().containsAll(java.util.List.of("arch_prctl", "open", "stat", "lstat", "access",
                "readlink", "dup2", "fork", "vfork", "time", "getrlimit", "openat", "newfstatat", "exit_group")));
        assertEquals("arch_prctl", k.syscallName(158));
        assertFalse(k.implemented().contains("socket"));
        new SyscallTracer(new Amd64SyscallTable(), abi); // every traced name resolves on this table
    }
}
