package dev.tether.guest.kernel.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The end-to-end guests of {@link MiniLinuxGuestContract} ({@link GuestPrograms}), built with gcc and run natively on this host:
 * they compile, and natively do what the contract expects of them under MiniLinux where the two agree
 * (output, exit status, the fatal signal), so a guest test that fails points at the platform or the
 * kernel, not at its program.
 */
class GuestProgramsNativeTest {
    @TempDir
    Path dir;

    private Path build(String name, String source) throws Exception {
        Path c = Files.writeString(dir.resolve(name + ".c"), source);
        Process p = new ProcessBuilder("gcc", "-O1", "-static", "-o", dir.resolve(name).toString(), c.toString())
                .redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), name + ": " + log);
        return dir.resolve(name);
    }

    /** stdout + "|" + exit status (a signal: 128 + its number, as the JDK reports it). */
    private String run(Path program, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(program.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return out + "|" + p.waitFor();
    }

    @Test
    void theGuestsBehaveNativelyAsTheContractExpects() throws Exception {
        assertEquals("hello from a guest\n|0", run(build("hello", GuestPrograms.HELLO)));
        assertEquals("1234.5\n|0", run(build("fp", GuestPrograms.FP)));
        assertEquals("|139", run(build("null", GuestPrograms.NULL_LOAD)));
        Path f = Files.writeString(dir.resolve("f.txt"), "granted\n");
        Path cat = build("cat", GuestPrograms.CAT);
        assertEquals("granted\n|0", run(cat, f.toString()));
        assertEquals("|2", run(cat, dir.resolve("missing").toString()));
        // natively the socket exists: only the exit status is the same
        assertTrue(run(build("denied", GuestPrograms.DENIED)).endsWith("|3"));
        Process spin = new ProcessBuilder(build("spin", GuestPrograms.SPIN).toString()).start();
        try {
            assertEquals(false, spin.waitFor(300, TimeUnit.MILLISECONDS), "it spins");
        } finally {
            spin.destroyForcibly().waitFor();
        }
    }
}
