package dev.tether.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * {@code tether run} as a user runs it (the launcher jar in a JVM of its own) with Debian's busybox-static
 * (.ci/run installs it): the guest's output and exit status are the command's, {@code --trace} prints its
 * system calls, bad usage and bad programs are one line and exit 2 / 1. Deeper guest checks (faults, FP,
 * granted files, busybox against native runs) are core's MiniLinuxPtraceKernelTest.
 */
class RunIT {
    static final String BUSYBOX = "/bin/busybox";

    @Test
    void aGuestsOutputAndStatusAreTheCommands() throws Exception {
        assertTrue(Files.isRegularFile(Path.of(BUSYBOX)), BUSYBOX + " is missing: .ci/run installs busybox-static");
        LauncherIT.Run r = LauncherIT.java("run", BUSYBOX, "echo", "hello", "guest");
        assertEquals(0, r.rc(), r::toString);
        assertEquals("hello guest\n", r.out(), r::toString);
        assertEquals(1, LauncherIT.java("run", BUSYBOX, "false").rc());
        LauncherIT.Run sh = LauncherIT.java("run", BUSYBOX, "sh", "-c", "echo in sh; exit 7");
        assertEquals(7, sh.rc(), sh::toString);
        assertEquals("in sh\n", sh.out(), sh::toString);
    }

    /** The same guest on the trap platform (docs/trap.md): same output, same status; an unknown platform is one line. */
    @Test
    void theTrapPlatformRunsTheSameGuest() throws Exception {
        LauncherIT.Run r = LauncherIT.java("run", "--platform", "trap", BUSYBOX, "sh", "-c", "echo on trap; exit 5");
        assertEquals(5, r.rc(), r::toString);
        assertEquals("on trap\n", r.out(), r::toString);
        LauncherIT.Run none = LauncherIT.java("run", "--platform", "nosuch", BUSYBOX, "true");
        assertEquals(ExitCode.FAILED, none.rc(), none::toString);
        assertTrue(none.err().contains("no nosuch GuestPlatform service"), none::toString);
    }

    @Test
    void grantedDirectoriesAreReadableAndTraceShowsTheSystemCalls() throws Exception {
        Path dir = Cli.tempDir("run").toAbsolutePath();
        Files.writeString(dir.resolve("f.txt"), "a\nb\nc\n");
        LauncherIT.Run r = LauncherIT.java("run", "--trace", "--ro", dir.toString(), "--", BUSYBOX, "wc", "-l", dir + "/f.txt");
        assertEquals(0, r.rc(), r::toString);
        assertEquals("3 " + dir + "/f.txt\n", r.out(), r::toString);
        assertTrue(r.err().contains("openat(AT_FDCWD, \"" + dir + "/f.txt\""), r::toString);
        assertTrue(r.err().contains("+++ exited with 0 +++"), r::toString);
        LauncherIT.Run denied = LauncherIT.java("run", BUSYBOX, "cat", dir + "/f.txt");
        assertEquals(1, denied.rc(), denied::toString);
        assertFalse(denied.out().contains("a\nb"), "an ungranted file was read\n" + denied);
    }

    @Test
    void badUsageAndBadProgramsAreOneLine() throws Exception {
        LauncherIT.Run none = LauncherIT.java("run");
        assertEquals(ExitCode.USAGE, none.rc(), none::toString);
        assertTrue(none.err().contains("no program to run"), none::toString);
        LauncherIT.Run bogus = LauncherIT.java("run", "--bogus", BUSYBOX);
        assertEquals(ExitCode.USAGE, bogus.rc(), bogus::toString);
        assertTrue(bogus.err().contains("unknown option --bogus"), bogus::toString);
        Path notElf = Files.writeString(Cli.tempDir("run").resolve("x"), "#!/bin/sh\n");
        LauncherIT.Run script = LauncherIT.java("run", notElf.toString());
        assertEquals(ExitCode.FAILED, script.rc(), script::toString);
        assertTrue(script.err().contains("not an ELF file"), script::toString);
        assertFalse(script.err().contains("\tat "), script::toString);
    }
}
