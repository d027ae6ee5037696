package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The rooms of core stay rooms ({@link Rooms}, docs/architecture.md, section 3): no class of
 * {@code bundles/core/src/main} over {@value Rooms#MAX_LINES} lines, and no two classes that name each
 * other.
 */
class CoreRoomsTest {
    private static final Path MAIN = Path.of("src/main/java/dev/tether/core");

    @Test
    void noCoreClassNamesAClassThatNamesItBack() {
        Map<String, String> src = Rooms.sources(MAIN);
        assertTrue(src.size() > 20 && src.containsKey("SubprocessImpl"), "core's classes were found: " + src.keySet());
        assertEquals(List.of(), Rooms.mutual(src), "classes of core that name each other");
    }

    @Test
    void theCheckSeesAReferenceInCodeButNotInAComment() {
        assertTrue(Rooms.names(Rooms.code("class A { Tracee t; }"), "Tracee"));
        assertFalse(Rooms.names(Rooms.code("class A { /** {@link Tracee} */ int x; // Tracee\n String s = \"Tracee\"; }"), "Tracee"));
        assertFalse(Rooms.names(Rooms.code("class A { TraceeState s; }"), "Tracee"), "a longer name is another class");
        assertEquals(List.of("A <-> B"), Rooms.mutual(new TreeMap<>(Map.of("A", "B b;", "B", "A a;", "C", "A a;"))), "a pair, not a one-way edge");
    }

    @Test
    void noCoreClassIsOverTheBound() {
        assertEquals(List.of(), Rooms.overBound(MAIN), "core classes over " + Rooms.MAX_LINES + " lines");
    }
}
