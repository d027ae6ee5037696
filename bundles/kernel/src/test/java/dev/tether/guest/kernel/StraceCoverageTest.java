package dev.tether.guest.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every system call that the acceptance guests make when run natively on this host, as strace(1)
 * records them, is one MiniLinux implements: the guests of the end-to-end tests will not meet ENOSYS
 * on their way (their own execve, done by the loader, aside).
 */
class StraceCoverageTest {
    @TempDir
    Path dir;

    private static final Pattern CALL = Pattern.compile("^\\d+\\s+(\\w+)\\(", Pattern.MULTILINE);

    private Set<String> traced(List<String> cmd) throws Exception {
        Path log = dir.resolve("strace.log");
        List<String> full = new ArrayList<>(List.of("strace", "-f", "-qq", "-o", log.toString()));
        full.addAll(cmd);
        Process p = new ProcessBuilder(full).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("out.txt").toFile()).start();
        p.waitFor();
        Set<String> names = new TreeSet<>();
        Matcher m = CALL.matcher(Files.readString(log));
        while (m.find()) {
            names.add(m.group(1));
        }
        assertTrue(names.contains("exit_group"), "strace saw " + String.join(" ", cmd) + " end: " + names);
        return names;
    }

    @Test
    void theAcceptanceGuestsNeedNothingMiniLinuxLacks() throws Exception {
        Path hello = GccPrograms.build(dir, "hello", GccPrograms.HELLO, "-static");
        Path pie = GccPrograms.build(dir, "hello-pie", GccPrograms.HELLO, "-static-pie");
        Files.writeString(dir.resolve("a.txt"), "one\ntwo\nthree\n");
        String bb = "/bin/busybox";
        List<List<String>> commands = List.of(List.of(hello.toString()), List.of(pie.toString()),
                List.of(bb, "echo", "x"), List.of(bb, "cat", "a.txt"), List.of(bb, "wc", "a.txt"),
                List.of(bb, "head", "-n", "1", "a.txt"), List.of(bb, "ls", dir.toString()),
                List.of(bb, "sha256sum", "a.txt"), List.of(bb, "true"), List.of(bb, "false"));
        Set<String> implemented = new MiniLinux(KernelFixture.TABLE, KernelFixture.TABLE_ABI).implemented();
        Set<String> missing = new TreeSet<>();
        for (List<String> cmd : commands) {
            for (String name : traced(cmd)) {
                if (!name.equals("execve") && !implemented.contains(name)) {
                    missing.add(name + " (" + String.join(" ", cmd) + ")");
                }
            }
        }
        assertEquals(Set.of(), missing);
    }
}
