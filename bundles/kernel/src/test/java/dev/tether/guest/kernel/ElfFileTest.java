package dev.tether.guest.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real static executables (gcc -static, gcc -static-pie, Debian's busybox-static) parsed as readelf reads them. */
class ElfFileTest {
    @TempDir
    static Path dir;

    static void sameAsReadelf(Path file) throws Exception {
        ElfFile elf = ElfFile.parse(file.toString(), Files.readAllBytes(file));
        assertEquals(Long.decode(GccPrograms.readelfHeader(file, "Entry point address")), elf.entry());
        assertEquals(GccPrograms.readelfHeader(file, "Type"), elf.type() == ElfFile.ET_EXEC ? "EXEC" : "DYN");
        assertEquals(Integer.parseInt(GccPrograms.readelfHeader(file, "Number of program headers")),
                elf.programHeaders().size());
        List<GccPrograms.Load> expected = GccPrograms.readelfLoads(file);
        List<ElfFile.ProgramHeader> loads = elf.loadSegments();
        assertEquals(expected.size(), loads.size());
        for (int i = 0; i < loads.size(); i++) {
            GccPrograms.Load e = expected.get(i);
            ElfFile.ProgramHeader h = loads.get(i);
            assertEquals(e.offset(), h.offset(), "offset of LOAD " + i);
            assertEquals(e.vaddr(), h.vaddr(), "vaddr of LOAD " + i);
            assertEquals(e.filesz(), h.filesz(), "filesz of LOAD " + i);
            assertEquals(e.memsz(), h.memsz(), "memsz of LOAD " + i);
            assertEquals(e.align(), h.align(), "align of LOAD " + i);
            String flags = ((h.flags() & ElfFile.PF_R) != 0 ? "R" : " ") + ((h.flags() & ElfFile.PF_W) != 0 ? "W" : " ")
                    + ((h.flags() & ElfFile.PF_X) != 0 ? "E" : " ");
            assertEquals(e.flags(), flags, "flags of LOAD " + i);
        }
        assertNull(elf.interpreter(), "static: no PT_INTERP");
    }

    @Test
    void gccStatic() throws Exception {
        Path p = GccPrograms.build(dir, "hello-static", GccPrograms.HELLO, "-static");
        sameAsReadelf(p);
        assertEquals(ElfFile.ET_EXEC, ElfFile.parse("x", Files.readAllBytes(p)).type());
    }

    @Test
    void gccStaticPie() throws Exception {
        Path p = GccPrograms.build(dir, "hello-spie", GccPrograms.HELLO, "-static-pie");
        sameAsReadelf(p);
        assertEquals(ElfFile.ET_DYN, ElfFile.parse("x", Files.readAllBytes(p)).type());
    }

    @Test
    void debianBusyboxStatic() throws Exception {
        Path busybox = Path.of("/bin/busybox");
        assertTrue(Files.isRegularFile(busybox), "Debian's busybox-static is installed by .ci/run");
        sameAsReadelf(busybox);
    }

    @Test
    void aDynamicProgramNamesItsInterpreter() throws Exception {
        Path p = GccPrograms.build(dir, "hello-dyn", GccPrograms.HELLO);
        ElfFile elf = ElfFile.parse(p.toString(), Files.readAllBytes(p));
        assertTrue(elf.interpreter().startsWith("/lib"), elf.interpreter());
    }

    @Test
    void brokenFilesAreRefusedWithTheReason() throws Exception {
        byte[] good = Files.readAllBytes(GccPrograms.build(dir, "hello-s2", GccPrograms.HELLO, "-static"));
        assertTrue(refusal(new byte[] {1, 2, 3}).contains("not an ELF file"));
        byte[] c32 = good.clone();
        c32[4] = 1;
        assertTrue(refusal(c32).contains("not a 64-bit"));
        byte[] be = good.clone();
        be[5] = 2;
        assertTrue(refusal(be).contains("not a little-endian"));
        byte[] rel = good.clone();
        rel[16] = 1; // ET_REL
        assertTrue(refusal(rel).contains("ELF type 1"));
        byte[] truncated = Arrays.copyOf(good, 200);
        String t = refusal(truncated);
        assertTrue(t.contains("outside the file") || t.contains("does not fit"), t);
        byte[] phent = good.clone();
        ByteBuffer.wrap(phent).order(ByteOrder.LITTLE_ENDIAN).putShort(54, (short) 32);
        assertTrue(refusal(phent).contains("e_phentsize 32"));
        byte[] bigseg = good.clone();
        ByteBuffer b = ByteBuffer.wrap(bigseg).order(ByteOrder.LITTLE_ENDIAN);
        int phoff = (int) b.getLong(32);
        for (int i = 0; i < b.getShort(56); i++) {
            if (b.getInt(phoff + i * 56) == ElfFile.PT_LOAD) {
                b.putLong(phoff + i * 56 + 32, 1L << 40); // p_filesz beyond the file
                break;
            }
        }
        assertTrue(refusal(bigseg).contains("does not fit the file"));
    }

    private static String refusal(byte[] image) {
        GuestLoadException e = assertThrows(GuestLoadException.class, () -> ElfFile.parse("prog", image));
        assertTrue(e.getMessage().startsWith("prog: "), e.getMessage());
        return e.getMessage();
    }
}
