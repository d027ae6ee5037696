package dev.tether.arch.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.spi.support.Assembler.Line;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The checker itself: it must see GNU as' bytes and report a wrong encoding or a missing tool. */
class GnuBinutilsTest {
    @Test
    void assemblesWithTheRealTool() {
        byte[] b = GnuBinutils.assemble(GnuBinutils.X86_64, "checker-ok", "\t.text\n\tsyscall\n\tint3\n");
        assertArrayEquals(new byte[] {0x0f, 0x05, (byte) 0xcc}, b);
    }

    @Test
    void reportsAWrongEncodingByInstruction() {
        byte[] wrong = {0x0f, 0x04, (byte) 0xcc};
        AssertionError e = assertThrows(AssertionError.class, () -> GnuBinutils.assertSameAsGnu(GnuBinutils.X86_64,
                "checker-wrong", "\t.text\n\tsyscall\n\tint3\n", wrong,
                List.of(new Line(0, new byte[] {0x0f, 0x04}, "syscall"), new Line(2, new byte[] {(byte) 0xcc}, "int3"))));
        assertTrue(e.getMessage().contains("syscall") && e.getMessage().contains("0f04") && e.getMessage().contains("0f05"),
                e.getMessage());
        assertTrue(!e.getMessage().contains("int3"), "only the wrong instruction is reported: " + e.getMessage());
    }

    @Test
    void aMissingToolFailsNamingThePackage() {
        GnuBinutils.Toolchain missing = new GnuBinutils.Toolchain("no-such-as-tether", List.of(), "objcopy", "binutils-nothing");
        AssertionError e = assertThrows(AssertionError.class, () -> GnuBinutils.assemble(missing, "checker-missing", "\n"));
        assertTrue(e.getMessage().contains("apt-get install -y binutils-nothing"), e.getMessage());
    }
}
