package dev.tether.launcher;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Runs the command line in-process and captures what it prints. */
final class Cli {
    private Cli() {
    }

    /** Exit code, stdout (bytes and text) and stderr of one run. */
    record Result(int rc, byte[] outBytes, String err) {
        String out() {
            return new String(outBytes, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return "rc=" + rc + "\n--- out ---\n" + out() + "\n--- err ---\n" + err;
        }
    }

    static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = Main.run(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), args);
        return new Result(rc, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
    }

    /** A fresh directory under target/test-tmp (the surefire/failsafe property tether.test.tmp). */
    static Path tempDir(String prefix) {
        try {
            Path base = Path.of(System.getProperty("tether.test.tmp", "target/test-tmp"));
            Files.createDirectories(base);
            return Files.createTempDirectory(base, prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The runtime directory the build prepared (target/runtime). */
    static Path runtime() {
        String dir = System.getProperty(TetherCommand.RUNTIME_PROPERTY);
        if (dir == null) {
            throw new IllegalStateException("system property " + TetherCommand.RUNTIME_PROPERTY
                    + " is not set (run the tests through Maven)");
        }
        return Path.of(dir);
    }
}
