package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every citation in the repository can be followed from the repository: a comment, document or
 * script names a public source (a gVisor file and function, a kernel header, a man page) or a
 * document in this repository (README.md, docs/), never notes that only some of its authors have.
 * This test reads every file under each reactor module's {@code src/}, the POMs, README.md,
 * docs/, tools/, .ci/ and the {@code tether} script, and fails on a citation of such notes.
 */
class CitationTest {
    /**
     * Citations of documents that are not in the repository, matched case-insensitively. Built
     * from pieces so that this file does not match itself.
     */
    static final List<String> FORBIDDEN = List.of(
            "spec " + "\u00a7", "design" + " rule", "design" + ".md", "toolchain" + "-notes", "karaf" + "-notes",
            "house" + "-style", "gvisor-ptrace" + "-spec", "arm64-guest" + "-notes", "ecosystem" + ".md",
            "/work/" + "shared");

    private static final Pattern MODULE = Pattern.compile("<module>\\s*([^<\\s]+)\\s*</module>");

    @Test
    void noCitationOfDocumentsOutsideTheRepository() throws IOException {
        Path root = repositoryRoot();
        List<Path> files = filesToCheck(root);
        assertTrue(files.size() > 100, () -> "too few files found under " + root + ": " + files.size());
        assertTrue(files.contains(root.resolve("README.md")), "README.md is checked");
        assertTrue(files.contains(root.resolve("docs/architecture.md")), "docs/architecture.md is checked");
        List<String> hits = new ArrayList<>();
        for (Path f : files) {
            hits.addAll(violations(root, f));
        }
        assertEquals(List.of(), hits, "citations of documents that are not in the repository");
    }

    @Test
    void aCitationOfPrivateNotesIsFound(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("Foo.java");
        Files.writeString(f, "// fine\n// the stub of Spec \u00a74.1\n// " + "DESIGN" + " Rule 5\n");
        assertEquals(List.of("Foo.java:2: spec \u00a7", "Foo.java:3: design" + " rule"), violations(dir, f));
        Files.writeString(f, "// gVisor's stub_amd64.s; docs/architecture.md, section 10\n");
        assertEquals(List.of(), violations(dir, f));
    }

    /** The reactor's modules' src/ trees, every POM, README.md, docs/, tools/, .ci/ and tether. */
    static List<Path> filesToCheck(Path root) throws IOException {
        List<Path> out = new ArrayList<>();
        List<Path> trees = new ArrayList<>(List.of(root.resolve("docs"), root.resolve("tools"), root.resolve(".ci")));
        Matcher m = MODULE.matcher(Files.readString(root.resolve("pom.xml")));
        while (m.find()) {
            Path module = root.resolve(m.group(1));
            trees.add(module.resolve("src"));
            if (Files.isRegularFile(module.resolve("pom.xml"))) {
                out.add(module.resolve("pom.xml"));
            }
        }
        for (String top : List.of("pom.xml", "README.md", "tether")) {
            out.add(root.resolve(top));
        }
        for (Path tree : trees) {
            if (Files.isDirectory(tree)) {
                try (Stream<Path> s = Files.walk(tree)) {
                    s.filter(Files::isRegularFile).filter(p -> !p.toString().contains("/target/")).forEach(out::add);
                }
            }
        }
        return out;
    }

    /** The checkout: the first directory upwards with bundles/, arch-amd64/ and a pom.xml. */
    static Path repositoryRoot() {
        Path dir = Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath();
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("bundles")) && Files.isDirectory(p.resolve("arch-amd64"))
                    && Files.isRegularFile(p.resolve("pom.xml"))) {
                return p;
            }
        }
        throw new IllegalStateException("no repository root above " + dir);
    }

    /** "path:line: pattern" for each forbidden citation in {@code f}. */
    static List<String> violations(Path root, Path f) {
        List<String> out = new ArrayList<>();
        String text;
        try {
            text = new String(Files.readAllBytes(f), StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            for (String bad : FORBIDDEN) {
                if (lines[i].contains(bad)) {
                    out.add(root.relativize(f) + ":" + (i + 1) + ": " + bad);
                }
            }
        }
        return out;
    }
}
