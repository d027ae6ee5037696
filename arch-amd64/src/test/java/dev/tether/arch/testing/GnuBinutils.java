package dev.tether.arch.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tether.spi.support.Assembler.Line;
import dev.tether.spi.support.Assembler.Program;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real GNU assembler on a program's source and returns the bytes of its .text section,
 * so that encoder tests compare against an independent tool (README.md, "Tests"). A missing
 * tool is a test failure that names the Debian package to install, never a skip.
 */
public final class GnuBinutils {
    /** An assembler + objcopy pair and the Debian package that provides them. */
    public record Toolchain(String as, List<String> asFlags, String objcopy, String debianPackage) {
    }

    /** Host binutils (Debian package binutils), x86-64 target. */
    public static final Toolchain X86_64 = new Toolchain("as", List.of("--64"), "objcopy", "binutils");

    /** Debian's cross binutils for aarch64 (package binutils-aarch64-linux-gnu). */
    public static final Toolchain AARCH64 = new Toolchain(
            "aarch64-linux-gnu-as", List.of(), "aarch64-linux-gnu-objcopy", "binutils-aarch64-linux-gnu");

    private GnuBinutils() {
    }

    /**
     * Assembles {@code source} with {@code tc} in {@code target/gnu-as/<name>/} and returns the
     * .text bytes.
     */
    public static byte[] assemble(Toolchain tc, String name, String source) {
        Path dir = Path.of(System.getProperty("basedir", "."), "target", "gnu-as", name);
        try {
            Files.createDirectories(dir);
            Path src = dir.resolve("prog.s");
            Path obj = dir.resolve("prog.o");
            Path bin = dir.resolve("prog.bin");
            Files.writeString(src, source, StandardCharsets.UTF_8);
            Files.deleteIfExists(obj);
            Files.deleteIfExists(bin);
            List<String> as = new ArrayList<>();
            as.add(tc.as());
            as.addAll(tc.asFlags());
            as.addAll(List.of("-o", obj.toString(), src.toString()));
            run(tc, as);
            run(tc, List.of(tc.objcopy(), "-O", "binary", "-j", ".text", obj.toString(), bin.toString()));
            return Files.readAllBytes(bin);
        } catch (IOException e) {
            throw new AssertionError("GNU binutils run in " + dir + " failed: " + e, e);
        }
    }

    /**
     * Asserts that an assembled program is byte for byte what GNU as makes of its
     * {@link Program#gnuSource()}; the source and objects go to {@code target/gnu-as/<name>/}.
     */
    public static void assertSameAsGnu(Toolchain tc, String name, Program p) {
        assertSameAsGnu(tc, name, p.gnuSource(), p.code(), p.lines());
    }

    /**
     * Asserts that our instructions are byte for byte what GNU as made of their text: each
     * instruction at its offset, then the total length.
     */
    public static void assertSameAsGnu(Toolchain tc, String name, String source, byte[] ours, List<Line> lines) {
        byte[] gnu = assemble(tc, name, source);
        StringBuilder diffs = new StringBuilder();
        for (Line l : lines) {
            byte[] theirs = new byte[l.bytes().length];
            int n = Math.max(0, Math.min(theirs.length, gnu.length - l.offset()));
            System.arraycopy(gnu, Math.min(l.offset(), gnu.length), theirs, 0, n);
            if (n != theirs.length || !Arrays.equals(theirs, l.bytes())) {
                diffs.append(String.format("  %04x %-40s ours %s, %s %s%n", l.offset(), l.text(), hex(l.bytes()),
                        tc.as(), hex(Arrays.copyOf(theirs, n))));
            }
        }
        if (diffs.length() > 0) {
            fail(name + ": encodings differ from " + tc.as() + " (source in target/gnu-as/" + name + "/prog.s):\n" + diffs);
        }
        assertEquals(gnu.length, ours.length, name + ": total length differs from " + tc.as());
    }

    public static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            sb.append(String.format("%02x", x & 0xff));
        }
        return sb.toString();
    }

    private static void run(Toolchain tc, List<String> cmd) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError(cmd.get(0) + " not found: install the Debian package " + tc.debianPackage()
                    + " (apt-get install -y " + tc.debianPackage() + ")", e);
        }
        try {
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                fail(String.join(" ", cmd) + " did not finish in 60 s");
            }
            if (p.exitValue() != 0) {
                fail(String.join(" ", cmd) + " exited with " + p.exitValue() + ":\n" + out);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + cmd, e);
        }
    }
}
