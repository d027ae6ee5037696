package dev.tether.core;

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

/**
 * The rooms check of a package (docs/architecture.md, section 3), for any bundle's tests through core's
 * test-jar: no class over {@value #MAX_LINES} lines, and no two classes that name each other (a dependency
 * cycle of two: each one can only be understood, tested and changed with the other). A class is named in
 * code, not in comments or string literals.
 */
public final class Rooms {
    /** The house's bound for one class doing one job (about 400 lines, with some slack). */
    public static final int MAX_LINES = 450;

    private Rooms() {
    }

    /** Each class's source in {@code dir} (not its subpackages) without comments and string or char literals. */
    public static Map<String, String> sources(Path dir) {
        Map<String, String> out = new TreeMap<>();
        for (Path f : javaFiles(dir)) {
            String name = f.getFileName().toString();
            if (!name.equals("package-info.java")) {
                try {
                    out.put(name.substring(0, name.length() - 5), code(Files.readString(f)));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        return out;
    }

    /** {@code java} without comments, and with every string or char literal emptied. */
    public static String code(String java) {
        String s = java.replaceAll("(?s)/\\*.*?\\*/", " ");
        s = s.replaceAll("//[^\n]*", " ");
        s = s.replaceAll("\"(?:\\\\.|[^\"\\\\])*\"", "\"\"");
        return s.replaceAll("'(?:\\\\.|[^'\\\\])'", "' '");
    }

    /** Whether {@code code} names class {@code cls} (a whole word: a longer name is another class). */
    public static boolean names(String code, String cls) {
        return Pattern.compile("\\b" + cls + "\\b").matcher(code).find();
    }

    /** The pairs of classes of {@code src} ({@link #sources}) that name each other, as "A <-> B". */
    public static List<String> mutual(Map<String, String> src) {
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
        return mutual;
    }

    /** The source files of {@code dir} over {@link #MAX_LINES} lines, as "File.java (n lines)". */
    public static List<String> overBound(Path dir) {
        List<String> over = new ArrayList<>();
        for (Path f : javaFiles(dir)) {
            try {
                long lines = Files.readAllLines(f).size();
                if (lines > MAX_LINES) {
                    over.add(f.getFileName() + " (" + lines + " lines)");
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return over;
    }

    private static List<Path> javaFiles(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".java")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
