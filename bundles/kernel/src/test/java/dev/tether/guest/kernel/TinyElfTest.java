package dev.tether.guest.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tether.guest.kernel.testing.SimpleAbi;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TinyElf's file is an ELF that both readelf and this bundle's parser read as one R+X PT_LOAD at 0x400000. */
class TinyElfTest {
    @TempDir
    Path dir;

    @Test
    void readelfAndTheParserAgreeOnTheOneSegment() throws Exception {
        SimpleAbi abi = new SimpleAbi("amd64");
        byte[] image = TinyElf.hello(abi, "hi\n", 1, 231);
        ElfFile elf = ElfFile.parse("tiny", image);
        assertEquals(TinyElf.BASE + TinyElf.EHDR + TinyElf.PHDR, elf.entry());
        Path f = Files.write(dir.resolve("tiny"), image);
        Process p = new ProcessBuilder("readelf", "-lhW", f.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor(30, TimeUnit.SECONDS);
        assertEquals(0, p.exitValue(), out);
        assertEquals(true, out.contains("EXEC (Executable file)"), out);
        assertEquals(true, out.matches("(?s).*LOAD\\s+0x0+\\s+0x0*400000\\s+0x0*400000\\s+0x0*" + Integer.toHexString(image.length)
                + "\\s+0x0*" + Integer.toHexString(image.length) + "\\s+R E\\s+0x1000.*"), out);
        assertEquals(true, out.contains("Entry point address:               0x400078"), out);
    }
}
