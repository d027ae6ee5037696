package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The rooms of core stay rooms (docs/architecture.md, section 3): no class of
 * {@code bundles/core/src/main} over {@value #MAX_LINES} lines, and no two classes that name each
 * other (a dependency cycle of two: each one can only be understood, tested and changed with the
 * other). A class is named in code, not in comments or string literals.
 */
class CoreRoomsTest {
    /** The house's bound for one class doing one job (about 400 lines, with some slack). */
    static final int MAX_LINES = 450;

    private static final Path MAIN = Path.of("src/main/java/dev/tether/core");

    /** Each class's source without comments and string or char literals. */
    private static Map<String, String> sources() {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.list(MAIN)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String name = f.getFileName().toString();
                if (name.endsWith(".java") && !name.equals("package-info.java")) {
                    out.put(name.substring(0, name.length() - 5), code(Files.readString(f)));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    static String code(String java) {
        String s = java.replaceAll("(?s)/\\*.*?\\*/", " ");
        s = s.replaceAll("//[^\n]*", " ");
        s = s.replaceAll("\"(?:\\\\.|[^\"\\\\])*\"", "\"\"");
        return s.replaceAll("'(?:\\\\.|[^'\\\\])'", "' '");
    }

    @Test
    void noCoreClassNamesAClassThatNamesItBack() {
        Map<String, String> src = sources();
        assertTrue(src.size() > 20 && src.containsKey("SubprocessImpl"), "core's classes were found: " + src.keySet());
        List<String> mutual = new ArrayList<>();
        List<String> names = new ArrayList<>(src.keySet());
        for (int i = 0; i < names.size(); i++) {
            for (int j = i + 1; j < names.size(); j++) {
                String a = names.get(i);
                String b = names.get(j);
                if (names(src.get(a), b) && names(src.get(b), a)) {
                    mutual.add(a + " <-> " + b);
                }
            }
        }
        assertEquals(List.of(), mutual, "classes of core that name each other");
    }

    @Test
    void theCheckSeesAReferenceInCodeButNotInAComment() {
        assertTrue(names(code("class A { Tracee t; }"), "Tracee"));
        assertTrue(!names(code("class A { /** {@link Tracee} */ int x; // Tracee\n String s = \"Tracee\"; }"), "Tracee"));
        assertTrue(!names(code("class A { TraceeState s; }"), "Tracee"), "a longer name is another class");
    }

    @Test
    void noCoreClassIsOverTheBound() throws IOException {
        List<String> over = new ArrayList<>();
        try (Stream<Path> files = Files.list(MAIN)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                long lines = Files.readAllLines(f).size();
                if (lines > MAX_LINES) {
                    over.add(f.getFileName() + " (" + lines + " lines)");
                }
            }
        }
        assertEquals(List.of(), over, "core classes over " + MAX_LINES + " lines");
    }

    private static boolean names(String code, String cls) {
        return Pattern.compile("\\b" + cls + "\\b").matcher(code).find();
    }
}
