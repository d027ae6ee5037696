package dev.tether.core;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.osgi.framework.BundleContext;

/**
 * Where JNA unpacks its native library (libjnidispatch.so) in an OSGi framework: without
 * {@code jna.tmpdir}, JNA 5 unpacks it into the user's cache directory ({@code ~/.cache/JNA/temp},
 * {@code Native.getTempDir} in JNA's Native.java, via {@code $XDG_CACHE_HOME}), which a server
 * runtime has no business writing to. Before core's first native call this sets {@code jna.tmpdir},
 * unless the operator (or the launcher) did, to Karaf's data directory, {@code
 * ${karaf.data}/tmp/jna}, or outside Karaf to this bundle's data area. JNA reads the property once,
 * when its {@code Native} class initialises; JNA then deletes the unpacked file once it is loaded
 * ({@code jnidispatch.preserve} unset), and records the file it loaded in {@code jnidispatch.path}.
 */
final class JnaPlace {
    static final String TMPDIR = "jna.tmpdir";
    /** Set by JNA to the file it loaded libjnidispatch from (Native.loadNativeDispatchLibrary*). */
    static final String LOADED = "jnidispatch.path";

    private JnaPlace() {
    }

    /**
     * Sets {@code jna.tmpdir} when nobody did; the directory JNA will use (null: JNA's own choice,
     * which happens only when neither Karaf's data directory nor a bundle data area is there).
     */
    static Path ensure(BundleContext context) {
        String set = System.getProperty(TMPDIR);
        if (set != null) {
            return Path.of(set);
        }
        String karafData = context == null ? null : context.getProperty("karaf.data");
        File data = context == null ? null : context.getDataFile("jna");
        Path dir = karafData != null ? Path.of(karafData, "tmp", "jna") : data != null ? data.toPath() : null;
        if (dir == null) {
            return null;
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            return null; // JNA's own choice, rather than a directory it cannot write
        }
        // not a race with the operator: only when unset, and before this bundle's first native call
        System.getProperties().putIfAbsent(TMPDIR, dir.toString());
        return Path.of(System.getProperty(TMPDIR));
    }
}
