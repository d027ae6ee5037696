package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layers of the repository, checked on the main source trees and the POMs of the other
 * modules (found from this module's base directory): a {@code dev.tether} package named in code,
 * by an import or fully qualified, must be one the layer may use, and so must every Tether
 * artifact its POM depends on (a module's artifact is named after its package: {@code dev.tether.abi}
 * holds {@code dev.tether.abi}). Comments and string literals do not count.
 *
 * <ul>
 * <li>{@code bundles/abi} (Linux ABI constants) is a leaf: it uses no Tether package but its own;</li>
 * <li>{@code bundles/linux} (the one native boundary) uses {@code dev.tether.abi} only: not the
 * API ({@code dev.tether.api}, {@code dev.tether.spi}), not core; the API's errors come from core,
 * which translates {@code LinuxException} into {@code SyscallFailedException};</li>
 * <li>{@code bundles/bpf} is classic BPF and nothing else (as golang.org/x/net/bpf): no Tether
 * package, {@code dev.tether.seccomp} least of all;</li>
 * <li>{@code bundles/seccomp} builds on {@code dev.tether.bpf} and {@code dev.tether.abi} only (the
 * API and the SPI name seccomp's types, not the other way round);</li>
 * <li>the arch bundles are pure Java that core composes: they never use {@code dev.tether.core},
 * nor {@code dev.tether.linux} (native code); nor does {@code bundles/arch-support}, their shared
 * base classes, which knows no particular arch bundle either.</li>
 * </ul>
 *
 * <p>There is no allow-list of known violations: each of these rules holds.
 */
class LayeringTest {
    /**
     * A layer: the module at {@code module} (its main sources and its POM), which Tether packages
     * it may name (empty: any but the forbidden ones) and which it may not.
     */
    private record Layer(String module, List<String> allowed, List<String> forbidden) {
        boolean permits(String pkg) {
            if (forbidden.stream().anyMatch(f -> within(pkg, f))) {
                return false;
            }
            return allowed.isEmpty() || allowed.stream().anyMatch(a -> within(pkg, a));
        }

        String tree() {
            return module + "/src/main/java";
        }
    }

    private static final List<String> NOT_CORE_NOR_NATIVE = List.of("dev.tether.core", "dev.tether.linux");

    private static final List<Layer> LAYERS = List.of(
            new Layer("bundles/abi", List.of("dev.tether.abi"), List.of()),
            new Layer("bundles/linux", List.of("dev.tether.abi", "dev.tether.linux"), List.of()),
            new Layer("bundles/bpf", List.of("dev.tether.bpf"), List.of()),
            new Layer("bundles/seccomp", List.of("dev.tether.abi", "dev.tether.bpf", "dev.tether.seccomp"), List.of()),
            new Layer("arch-amd64", List.of(), NOT_CORE_NOR_NATIVE),
            new Layer("arch-arm64", List.of(), NOT_CORE_NOR_NATIVE),
            new Layer("bundles/arch-support", List.of(), List.of("dev.tether.core", "dev.tether.linux", "dev.tether.arch")));

    /** {@code dev.tether.} followed by dotted names, not preceded by a name character or a dot. */
    private static final Pattern REFERENCE = Pattern.compile("(?<![\\w.$])dev\\.tether(\\.[A-Za-z_$][\\w$]*)+");

    /** One dependency of a POM, and the first artifactId in one (its own; exclusions come after it). */
    private static final Pattern DEPENDENCY = Pattern.compile("<dependency>(.*?)</dependency>", Pattern.DOTALL);
    private static final Pattern ARTIFACT = Pattern.compile("<artifactId>\\s*([^<\\s]+)\\s*</artifactId>");

    @Test
    void layersUseOnlyWhatTheyMay() {
        Path root = repositoryRoot();
        List<String> found = new ArrayList<>();
        for (Layer layer : LAYERS) {
            Path tree = root.resolve(layer.tree());
            assertTrue(Files.isDirectory(tree), "source tree " + tree + " is missing: update LayeringTest's layers");
            for (Path file : javaFiles(tree)) {
                String rel = root.relativize(file).toString().replace('\\', '/');
                String[] lines = codeOnly(read(file)).split("\n", -1);
                for (int i = 0; i < lines.length; i++) {
                    Matcher m = REFERENCE.matcher(lines[i]);
                    while (m.find()) {
                        String pkg = packageOf(m.group());
                        if (!layer.permits(pkg)) {
                            found.add(rel + ":" + (i + 1) + ": " + m.group() + " (" + layer.module() + " may not use " + pkg + ")");
                        }
                    }
                }
            }
        }
        if (!found.isEmpty()) {
            fail("layering violations:\n  " + String.join("\n  ", found));
        }
    }

    @Test
    void layersDependOnlyOnWhatTheyMay() {
        Path root = repositoryRoot();
        List<String> found = new ArrayList<>();
        for (Layer layer : LAYERS) {
            Path pom = root.resolve(layer.module()).resolve("pom.xml");
            assertTrue(Files.isRegularFile(pom), pom + " is missing: update LayeringTest's layers");
            for (String artifact : tetherDependencies(read(pom))) {
                if (!layer.permits(artifact)) {
                    found.add(layer.module() + "/pom.xml depends on " + artifact);
                }
            }
        }
        if (!found.isEmpty()) {
            fail("layering violations in POMs:\n  " + String.join("\n  ", found));
        }
    }

    /** The checker itself: comments and strings do not count, fully qualified names do, and packages end at a type. */
    @Test
    void scannerSeesCodeOnly() {
        String src = "package dev.tether.linux;\n"
                + "import dev.tether.abi.Errno; // dev.tether.core.Nope\n"
                + "/* dev.tether.core.Nope\n dev.tether.api.Nope */ class X {\n"
                + "  String s = \"dev.tether.core.Nope \\\" dev.tether.api.Nope\"; char c = '\"';\n"
                + "  Object o = new dev.tether.api.TetherException(\"x\"); String t = \"\"\"\n"
                + "    dev.tether.core.Nope\n    \"\"\";\n"
                + "}\n";
        List<String> refs = new ArrayList<>();
        String[] lines = codeOnly(src).split("\n", -1);
        assertEquals(src.split("\n", -1).length, lines.length, "line numbers are kept");
        for (int i = 0; i < lines.length; i++) {
            Matcher m = REFERENCE.matcher(lines[i]);
            while (m.find()) {
                refs.add((i + 1) + ":" + packageOf(m.group()));
            }
        }
        assertEquals(List.of("1:dev.tether.linux", "2:dev.tether.abi", "6:dev.tether.api"), refs);
        assertEquals("dev.tether.spi.support", packageOf("dev.tether.spi.support.Assembler"));
        assertEquals("dev.tether.api", packageOf("dev.tether.api.Stub.Inner"));
        assertTrue(new Layer("t", List.of("dev.tether.abi"), List.of()).permits("dev.tether.abi"));
        assertTrue(!new Layer("t", List.of("dev.tether.abi"), List.of()).permits("dev.tether.abiother"));
        assertTrue(!new Layer("t", List.of(), List.of("dev.tether.core")).permits("dev.tether.core.x"));
        String pom = "<project><artifactId>dev.tether.self</artifactId><dependencies>\n"
                + "  <dependency><groupId>dev.tether</groupId><artifactId>dev.tether.abi</artifactId></dependency>\n"
                + "  <!-- <dependency><groupId>dev.tether</groupId><artifactId>dev.tether.core</artifactId></dependency> -->\n"
                + "  <dependency>\n    <groupId>dev.tether</groupId>\n    <artifactId>dev.tether.api</artifactId>\n"
                + "    <scope>test</scope>\n  </dependency>\n"
                + "  <dependency><groupId>net.java.dev.jna</groupId><artifactId>jna</artifactId></dependency>\n"
                + "</dependencies></project>";
        assertEquals(List.of("dev.tether.abi", "dev.tether.api"), tetherDependencies(pom));
    }

    // ---------------------------------------------------------------- helpers

    /** The Tether artifacts a POM depends on (any scope), XML comments left out. */
    static List<String> tetherDependencies(String pom) {
        Matcher m = DEPENDENCY.matcher(pom.replaceAll("(?s)<!--.*?-->", ""));
        List<String> out = new ArrayList<>();
        while (m.find()) {
            Matcher a = ARTIFACT.matcher(m.group(1));
            if (a.find() && a.group(1).startsWith("dev.tether.")) {
                out.add(a.group(1));
            }
        }
        return out;
    }

    private static boolean within(String pkg, String prefix) {
        return pkg.equals(prefix) || pkg.startsWith(prefix + ".");
    }

    /** The package of a qualified name: its leading segments up to the first capitalised one (a type). */
    static String packageOf(String qualified) {
        StringBuilder b = new StringBuilder();
        for (String seg : qualified.split("\\.")) {
            if (!seg.isEmpty() && Character.isUpperCase(seg.charAt(0))) {
                break;
            }
            if (b.length() > 0) {
                b.append('.');
            }
            b.append(seg);
        }
        return b.toString();
    }

    /**
     * {@code src} with comments and the contents of string, text-block and char literals blanked
     * out (newlines kept, so that line numbers stay right).
     */
    static String codeOnly(String src) {
        StringBuilder out = new StringBuilder(src.length());
        int n = src.length();
        int i = 0;
        while (i < n) {
            char c = src.charAt(i);
            if (c == '/' && i + 1 < n && src.charAt(i + 1) == '/') {
                while (i < n && src.charAt(i) != '\n') {
                    out.append(' ');
                    i++;
                }
            } else if (c == '/' && i + 1 < n && src.charAt(i + 1) == '*') {
                int end = src.indexOf("*/", i + 2);
                end = end < 0 ? n : end + 2;
                blank(src, i, end, out);
                i = end;
            } else if (src.startsWith("\"\"\"", i)) {
                int end = src.indexOf("\"\"\"", i + 3);
                while (end > 0 && src.charAt(end - 1) == '\\') {
                    end = src.indexOf("\"\"\"", end + 1);
                }
                end = end < 0 ? n : end + 3;
                blank(src, i, end, out);
                i = end;
            } else if (c == '"' || c == '\'') {
                int j = i + 1;
                while (j < n && src.charAt(j) != c && src.charAt(j) != '\n') {
                    j += src.charAt(j) == '\\' ? 2 : 1;
                }
                int end = Math.min(n, j + 1);
                blank(src, i, end, out);
                i = end;
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    private static void blank(String src, int from, int to, StringBuilder out) {
        for (int k = from; k < to; k++) {
            out.append(src.charAt(k) == '\n' ? '\n' : ' ');
        }
    }

    /** The repository's root: the nearest directory above this module's base that holds bundles/ and arch-amd64/. */
    private static Path repositoryRoot() {
        Path dir = Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("bundles")) && Files.isDirectory(p.resolve("arch-amd64"))
                    && Files.isRegularFile(p.resolve("pom.xml"))) {
                return p;
            }
        }
        fail("no repository root (with bundles/ and arch-amd64/) above " + dir);
        return null;
    }

    private static List<Path> javaFiles(Path tree) {
        try (Stream<Path> s = Files.walk(tree)) {
            return s.filter(p -> p.toString().endsWith(".java")).sorted().collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
