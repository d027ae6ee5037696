package dev.tether.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * JNA extracts libjnidispatch.so to {@code ~/.cache/JNA/temp} unless {@code jna.tmpdir} is set
 * (docs/build-notes.md, note 20); the launcher keeps it under the runtime directory instead. JNA reads
 * the property when its {@code Native} class initialises, i.e. inside Felix, after this runs.
 */
final class JnaTmpdir {
    static final String PROPERTY = "jna.tmpdir";

    private JnaTmpdir() {
    }

    static void ensure(Path runtime) {
        String dir = System.getProperty(PROPERTY);
        Path p = dir != null ? Path.of(dir) : runtime.resolve("jna-tmp");
        try {
            Files.createDirectories(p);
        } catch (IOException e) {
            throw CliException.failed("cannot create " + PROPERTY + " " + p + ": " + e.getMessage());
        }
        if (dir == null) {
            System.setProperty(PROPERTY, p.toString());
        }
    }
}
