package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Calls from virtual threads are refused with a clear error (docs/architecture.md, section 4). Virtual threads
 * exist from Java 21 on, so this runs {@link VirtualThreadProbe} in a child JVM of the newest
 * JDK under /usr/lib/jvm (the CI machines carry Temurin 25 there, beside the default JDK 17).
 */
@ExtendWith(NoLeftoverProcesses.class)
class VirtualThreadKernelTest {
    /** The java launcher of a JDK >= 21 under /usr/lib/jvm, or null. */
    static Path modernJava() throws Exception {
        List<Path> found = new ArrayList<>();
        try (Stream<Path> jdks = Files.list(Path.of("/usr/lib/jvm"))) {
            for (Path jdk : (Iterable<Path>) jdks::iterator) {
                Path release = jdk.resolve("release");
                Path java = jdk.resolve("bin/java");
                if (!Files.isExecutable(java) || !Files.exists(release)) {
                    continue;
                }
                String v = Files.readAllLines(release).stream().filter(l -> l.startsWith("JAVA_VERSION="))
                        .findFirst().orElse("").replaceAll("[^0-9.]", "");
                int major = v.isEmpty() ? 0 : Integer.parseInt(v.split("\\.")[0]);
                if (major >= 21) {
                    found.add(java);
                }
            }
        }
        return found.isEmpty() ? null : found.get(0);
    }

    @Test
    void aVirtualThreadIsRefusedWithAClearError() throws Exception {
        Path java = modernJava();
        assertTrue(java != null, "this test needs a JDK 21+ under /usr/lib/jvm (virtual threads); none found");
        String cp = System.getProperty("java.class.path");
        ProcessBuilder pb = new ProcessBuilder(java.toString(), "--enable-native-access=ALL-UNNAMED",
                "-Djna.tmpdir=" + System.getProperty("jna.tmpdir", System.getProperty("java.io.tmpdir")),
                "-cp", cp, VirtualThreadProbe.class.getName());
        pb.redirectErrorStream(true);
        File out = File.createTempFile("tether-vt", ".log");
        out.deleteOnExit();
        pb.redirectOutput(out);
        Process p = pb.start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM did not finish");
        String text = Files.readString(out.toPath(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), text);
        assertTrue(text.contains("REFUSED: StubPlatform.createStub was called from virtual thread"), text);
        assertTrue(text.contains("call Tether from a platform thread"), text);
        assertTrue(text.contains("PLATFORM THREAD: getpid ok true"), text);
    }
}
