package dev.tether.trap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.core.Rooms;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The trap bundle's classes are rooms too ({@link Rooms}, docs/architecture.md): none over
 * {@value Rooms#MAX_LINES} lines, and no two that name each other; a callee gets the values it needs
 * or a small class both share, never its caller.
 */
class TrapRoomsTest {
    private static final Path MAIN = Path.of("src/main/java/dev/tether/trap");

    @Test
    void noTrapClassNamesAClassThatNamesItBack() {
        Map<String, String> src = Rooms.sources(MAIN);
        assertTrue(src.size() > 10 && src.containsKey("TrapContext") && src.containsKey("TrapAddressSpace"),
                "the trap bundle's classes were found: " + src.keySet());
        assertEquals(List.of(), Rooms.mutual(src), "classes of the trap bundle that name each other");
    }

    @Test
    void noTrapClassIsOverTheBound() {
        assertEquals(List.of(), Rooms.overBound(MAIN), "trap classes over " + Rooms.MAX_LINES + " lines");
    }
}
