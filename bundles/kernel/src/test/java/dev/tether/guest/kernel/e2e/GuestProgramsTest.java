package dev.tether.guest.kernel.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Prebuilt guests ({@link GuestPrograms#PREBUILT}) are used only when they are the test's own programs. */
class GuestProgramsTest {
    @TempDir
    Path dir;

    @Test
    void aPrebuiltProgramWithTheSameSourceAndFlagsIsUsedAsItIs() throws Exception {
        Path pre = Files.createDirectories(dir.resolve("pre"));
        Path exe = GuestPrograms.compile("gcc", GuestPrograms.HELLO_STATIC, pre);
        Path work = Files.createDirectories(dir.resolve("work"));
        assertEquals(exe, GuestPrograms.get(GuestPrograms.HELLO_STATIC, work, pre.toString()));
        try (var s = Files.list(work)) {
            assertEquals(0, s.count(), "nothing compiled");
        }
    }

    @Test
    void aStaleOrMissingPrebuiltProgramIsRefusedByName() throws Exception {
        Path pre = Files.createDirectories(dir.resolve("pre"));
        GuestPrograms.compile("gcc", GuestPrograms.HELLO_STATIC, pre);
        // same name, other flags: what an old directory would hold after the test's flags changed
        Files.writeString(pre.resolve("hello.flags"), "-static-pie");
        IllegalStateException stale = assertThrows(IllegalStateException.class,
                () -> GuestPrograms.get(GuestPrograms.HELLO_STATIC, dir, pre.toString()));
        assertTrue(stale.getMessage().contains("hello") && stale.getMessage().contains("another source"), stale.getMessage());
        IllegalStateException missing = assertThrows(IllegalStateException.class,
                () -> GuestPrograms.get(GuestPrograms.SPIN_STATIC, dir, pre.toString()));
        assertTrue(missing.getMessage().contains("no prebuilt program spin"), missing.getMessage());
    }

    @Test
    void everyProgramHasItsOwnName() {
        assertEquals(GuestPrograms.ALL.size(), GuestPrograms.ALL.stream().map(GuestPrograms.Program::name).distinct().count());
    }
}
