package dev.tether.arch.arm64;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Debian's aarch64 cross compiler ({@code aarch64-linux-gnu-gcc}, package gcc-aarch64-linux-gnu, with the
 * arm64 kernel headers of linux-libc-dev-arm64-cross) as the oracle of arm64's own headers on any host.
 * Nothing it builds runs here: values are read from what the compiler emits ({@code -S} assembly of
 * constant initialisers, {@code -dM -E} macro lists).
 */
final class Aarch64Gcc {
    static final String CC = "aarch64-linux-gnu-gcc";
    private static final List<String> STAT_FIELDS = List.of("st_dev", "st_ino", "st_nlink", "st_mode", "st_uid", "st_gid",
            "st_rdev", "st_size", "st_blksize", "st_blocks", "st_atime", "st_atime_nsec", "st_mtime", "st_mtime_nsec",
            "st_ctime", "st_ctime_nsec");

    private Aarch64Gcc() {
    }

    /**
     * {field -> {offset, size}} and "size" -> {sizeof, 0} of {@code struct stat} from {@code header}
     * (e.g. {@code asm/stat.h}), as the arm64 compiler lays it out: each pair is a constant array whose
     * {@code .xword} initialisers are read back from the assembly.
     */
    static Map<String, int[]> statLayout(Path work, String header) throws IOException, InterruptedException {
        StringBuilder c = new StringBuilder("#include <stddef.h>\n#include <" + header + ">\n"
                + "#define F(f) const unsigned long v_##f[2] = {offsetof(struct stat, f), sizeof(((struct stat *)0)->f)};\n"
                + "const unsigned long v_size[2] = {sizeof(struct stat), 0};\n");
        for (String f : STAT_FIELDS) {
            c.append("F(").append(f).append(")\n");
        }
        Path src = Files.writeString(Files.createDirectories(work).resolve("stat.c"), c);
        String asm = run(List.of(CC, "-S", "-o", "-", src.toString()), null);
        Map<String, int[]> out = new LinkedHashMap<>();
        Matcher m = Pattern.compile("^v_(\\w+):\\s*\\n\\s*\\.xword\\s+(\\d+)\\s*\\n\\s*\\.xword\\s+(\\d+)", Pattern.MULTILINE).matcher(asm);
        while (m.find()) {
            out.put(m.group(1), new int[] {Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3))});
        }
        if (out.size() != STAT_FIELDS.size() + 1) {
            throw new IOException(CC + " -S gave " + out.keySet() + ", not every field of struct stat:\n" + asm);
        }
        return out;
    }

    /** The value of macro {@code name} after {@code #include <header>}, from {@code -dM -E} (octal as C writes it). */
    static long macro(String header, String name) throws IOException, InterruptedException {
        String out = run(List.of(CC, "-dM", "-E", "-x", "c", "-"), "#include <" + header + ">\n");
        for (String line : out.split("\n")) {
            String[] w = line.trim().split("\\s+");
            if (w.length == 3 && w[0].equals("#define") && w[1].equals(name)) {
                String v = w[2];
                return v.startsWith("0x") ? Long.parseLong(v.substring(2), 16)
                        : v.length() > 1 && v.startsWith("0") ? Long.parseLong(v.substring(1), 8) : Long.parseLong(v);
            }
        }
        throw new AssertionError(name + " is not defined by <" + header + "> for " + CC);
    }

    private static String run(List<String> cmd, String stdin) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException(CC + " is missing: install Debian's gcc-aarch64-linux-gnu (.ci/run does)", e);
        }
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.US_ASCII));
        }
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
        return out;
    }
}
