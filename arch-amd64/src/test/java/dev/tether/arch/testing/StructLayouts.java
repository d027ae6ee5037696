package dev.tether.arch.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tether.guest.kernel.spi.FileStat;
import dev.tether.guest.kernel.spi.LinuxAbi;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The C compiler as the oracle of a kernel header's {@code struct stat}: a program built with gcc prints
 * {@code offsetof} and {@code sizeof} of each field, and a {@link LinuxAbi}'s encoding is checked against
 * them field by field, with distinct values in every field and zeros everywhere else.
 */
public final class StructLayouts {
    private static final List<String> FIELDS = List.of("st_dev", "st_ino", "st_nlink", "st_mode", "st_uid", "st_gid",
            "st_rdev", "st_size", "st_blksize", "st_blocks", "st_atime", "st_atime_nsec", "st_mtime", "st_mtime_nsec",
            "st_ctime", "st_ctime_nsec");

    private StructLayouts() {
    }

    /** {field -> {offset, size}} and "size" of {@code struct stat} from {@code header}, by gcc. */
    public static Map<String, int[]> statLayout(Path work, String header) throws IOException, InterruptedException {
        Files.createDirectories(work);
        StringBuilder c = new StringBuilder("#include <stddef.h>\n#include <stdio.h>\n#include <" + header + ">\n"
                + "#define F(f) printf(#f \" %zu %zu\\n\", offsetof(struct stat, f), sizeof(((struct stat *)0)->f));\n"
                + "int main(void) {\n    printf(\"size %zu 0\\n\", sizeof(struct stat));\n");
        for (String f : FIELDS) {
            c.append("    F(").append(f).append(")\n");
        }
        c.append("    return 0;\n}\n");
        Path src = Files.writeString(work.resolve("stat.c"), c);
        Path exe = work.resolve("stat");
        run(List.of("gcc", "-o", exe.toString(), src.toString()));
        Map<String, int[]> out = new LinkedHashMap<>();
        for (String line : run(List.of(exe.toString())).split("\n")) {
            String[] w = line.trim().split(" ");
            out.put(w[0], new int[] {Integer.parseInt(w[1]), Integer.parseInt(w[2])});
        }
        return out;
    }

    /** Encodes a FileStat whose every field differs and checks each at gcc's offset, the rest zero. */
    public static void assertStatMatches(LinuxAbi abi, Map<String, int[]> layout) {
        assertEquals(layout.get("size")[0], abi.statSize(), "sizeof(struct stat)");
        FileStat st = new FileStat(0x0101010101L, 0x0202020202L, 0100644, 3, 1004, 1005, 0x0707070707L, 0x0808080808L,
                4096, 0x0a0a0a0aL, 0x0b0b0b0bL, 0x0c0c0c0L, 0x0d0d0d0dL, 0x0e0e0e0L, 0x0f0f0f0fL, 0x1010101L);
        long[] values = {st.dev(), st.ino(), st.nlink(), st.mode(), st.uid(), st.gid(), st.rdev(), st.size(), st.blksize(),
            st.blocks(), st.atimeSec(), st.atimeNsec(), st.mtimeSec(), st.mtimeNsec(), st.ctimeSec(), st.ctimeNsec()};
        ByteBuffer b = ByteBuffer.allocate(abi.statSize() + 8).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0x5a5a5a5a5a5a5a5aL); // a prefix the encoding must leave alone: it starts at the position
        abi.encodeStat(st, b);
        assertEquals(8 + abi.statSize(), b.position(), "encodeStat advances by statSize()");
        ByteBuffer s = ByteBuffer.wrap(b.array(), 8, abi.statSize()).slice().order(ByteOrder.LITTLE_ENDIAN);
        byte[] covered = new byte[abi.statSize()];
        for (int i = 0; i < FIELDS.size(); i++) {
            int[] at = layout.get(FIELDS.get(i));
            long got = at[1] == 8 ? s.getLong(at[0]) : Integer.toUnsignedLong(s.getInt(at[0]));
            long want = at[1] == 8 ? values[i] : values[i] & 0xffffffffL;
            assertEquals(want, got, FIELDS.get(i) + " at offset " + at[0] + " (" + at[1] + " bytes)");
            for (int j = 0; j < at[1]; j++) {
                covered[at[0] + j] = 1;
            }
        }
        for (int j = 0; j < covered.length; j++) {
            if (covered[j] == 0) {
                assertEquals(0, s.get(j), "padding byte " + j + " is zero");
            }
        }
        assertEquals(0x5a5a5a5a5a5a5a5aL, ByteBuffer.wrap(b.array()).order(ByteOrder.LITTLE_ENDIAN).getLong(0));
    }

    /** {@code gcc -dM -E} of {@code header}: the value of macro {@code name} (as C writes it, e.g. "0200000"). */
    public static long macro(String header, String name) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("gcc", "-dM", "-E", "-x", "c", "-").redirectErrorStream(true).start();
        p.getOutputStream().write(("#include <" + header + ">\n").getBytes(StandardCharsets.US_ASCII));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        for (String line : out.split("\n")) {
            String[] w = line.trim().split("\\s+");
            if (w.length == 3 && w[0].equals("#define") && w[1].equals(name)) {
                return Long.decode(w[2].startsWith("0") && w[2].length() > 1 && !w[2].startsWith("0x") ? "0" + w[2].substring(1) : w[2]);
            }
        }
        throw new AssertionError(name + " not defined by <" + header + ">");
    }

    private static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", cmd) + ": " + out);
        }
        return out;
    }
}
