package dev.tether.itest;

import static org.ops4j.pax.exam.CoreOptions.bundle;
import static org.ops4j.pax.exam.CoreOptions.cleanCaches;
import static org.ops4j.pax.exam.CoreOptions.composite;
import static org.ops4j.pax.exam.CoreOptions.junitBundles;
import static org.ops4j.pax.exam.CoreOptions.streamBundle;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;
import static org.ops4j.pax.exam.CoreOptions.workingDirectory;

import dev.tether.launcher.testing.ReactorBundles;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.options.ProvisionOption;
import org.ops4j.pax.tinybundles.TinyBundles;
import org.osgi.framework.Constants;

/**
 * The Pax Exam options every in-container test starts from: a clean native Felix with SCR, Config
 * Admin, Metatype, Gogo, JNA and the Tether bundles of this build.
 *
 * <p>These methods run <em>outside</em> the container (in the Surefire JVM, when Pax Exam calls the
 * {@code @Configuration} method), so they may read the file system and Surefire's system properties.
 * Test methods run inside, in the probe bundle.
 */
public final class TetherOptions {

    /** Surefire system property: where copy-dependencies put the runtime bundles (pom.xml). */
    static final String BUNDLES_DIR_PROPERTY = "tether.itest.bundles";
    /** Surefire system property: Pax Exam's working directory (framework storage). */
    static final String WORK_DIR_PROPERTY = "tether.itest.work";
    /** Surefire system property: where JNA unpacks libjnidispatch (else ~/.cache/JNA, docs/build-notes.md, note 20). */
    static final String JNA_TMPDIR_PROPERTY = "tether.itest.jnaTmpdir";
    /** Container system property: comma-separated {@code file:} locations of the arch bundles. */
    public static final String ARCH_BUNDLES_PROPERTY = ArchBundleStarter.ARCH_BUNDLES_PROPERTY;

    /** Bundle-SymbolicName prefix of the arch bundles. */
    static final String ARCH_BUNDLE_PREFIX = "dev.tether.arch.";

    private TetherOptions() {
    }

    /**
     * Everything but the test's own additions. Compose with {@code CoreOptions.options(base(), ...)}.
     *
     * <p><b>Arch bundles are not provisioned as such.</b> Exactly one of them resolves on a host (each
     * requires its own {@code osgi.native.processor}); the other stays INSTALLED for good. Given to
     * Pax Exam, the foreign one would be logged as an ERROR ("Bundle ... is not resolved") by the
     * native container, and Pax Exam could not be told to fail on unresolved bundles. So Pax Exam
     * provisions and starts every other bundle, and all of them must resolve
     * ({@code pax.exam.osgi.unresolved.fail=true}), plus a one-class bundle, {@link ArchBundleStarter},
     * that installs both arch bundles from {@link #ARCH_BUNDLES_PROPERTY} and starts whichever resolves,
     * as a launcher would. It runs while the framework starts, before Pax Exam injects the test's
     * services, so an {@code @Inject}ed service that needs the arch services does not time out.
     */
    public static Option base() {
        List<Option> options = new ArrayList<>();
        options.add(workingDirectory(property(WORK_DIR_PROPERTY, "target/paxexam")));
        // a stale framework cache makes every test fail waiting for ProbeInvoker (docs/build-notes.md, note 14)
        options.add(cleanCaches(true));
        options.add(systemProperty("jna.tmpdir").value(property(JNA_TMPDIR_PROPERTY, "target/jna-tmp")));
        options.add(systemProperty("org.ops4j.pax.logging.DefaultServiceLog.level").value("WARN"));
        // Pax Exam's ConfigurationManager key EXAM_FAIL_ON_UNRESOLVED_KEY: fail at boot, not later with
        // a missing service
        options.add(systemProperty("pax.exam.osgi.unresolved.fail").value("true"));
        options.add(junitBundles());
        List<String> arch = new ArrayList<>();
        for (Path jar : runtimeBundles()) {
            String location = jar.toUri().toString();
            if (symbolicName(jar).startsWith(ARCH_BUNDLE_PREFIX)) {
                arch.add(location);
            } else {
                options.add(runtimeBundle(location));
            }
        }
        if (arch.isEmpty()) {
            throw new IllegalStateException("no dev.tether.arch.* bundle in " + bundlesDir());
        }
        options.add(systemProperty(ARCH_BUNDLES_PROPERTY).value(String.join(",", arch)));
        // the reactor's bundles for the tests inside the container, which cannot load ReactorBundles (a test-jar on
        // the Surefire class path, not in the probe)
        options.add(systemProperty(TetherFeatures.BUNDLES_PROPERTY).value(String.join(",", ReactorBundles.symbolicNames())));
        options.add(streamBundle(archBundleStarter()).start(true));
        return composite(options.toArray(new Option[0]));
    }

    /** A bundle started by Pax Exam (named so as not to shadow {@code CoreOptions.bundle}, docs/build-notes.md, note 15). */
    private static ProvisionOption<?> runtimeBundle(String location) {
        return bundle(location).start(true);
    }

    /** The bundle of {@link ArchBundleStarter}, built in memory. */
    private static InputStream archBundleStarter() {
        return TinyBundles.bundle()
                .setHeader(Constants.BUNDLE_MANIFESTVERSION, "2")
                .symbolicName(ArchBundleStarter.SYMBOLIC_NAME)
                .setHeader(Constants.BUNDLE_VERSION, "1.0.0")
                .setHeader(Constants.IMPORT_PACKAGE,
                        "org.osgi.framework;version=\"[1.8,2)\",org.osgi.framework.wiring;version=\"[1.2,2)\"")
                .addClass(ArchBundleStarter.class)
                .activator(ArchBundleStarter.class)
                .build(TinyBundles.rawBuilder());
    }

    /** The jars copied by maven-dependency-plugin into target/bundles, sorted by file name. */
    public static List<Path> runtimeBundles() {
        Path dir = bundlesDir();
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException(dir + " does not exist: run the tests through Maven (mvn verify),"
                    + " whose copy-dependencies step fills it in process-test-resources");
        }
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> jars = files.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted()
                    .collect(Collectors.toList());
            if (jars.isEmpty()) {
                throw new IllegalStateException("no bundle in " + dir);
            }
            return jars;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }

    /** The main-manifest attribute {@code name} of {@code jar}, or null. */
    public static String manifestHeader(Path jar, String name) {
        try (JarFile file = new JarFile(jar.toFile())) {
            Manifest manifest = file.getManifest();
            return manifest == null ? null : manifest.getMainAttributes().getValue(name);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the manifest of " + jar, e);
        }
    }

    /** The Bundle-SymbolicName of {@code jar}, without directives. */
    public static String symbolicName(Path jar) {
        String bsn = manifestHeader(jar, "Bundle-SymbolicName");
        if (bsn == null) {
            throw new IllegalStateException(jar + " is not an OSGi bundle (no Bundle-SymbolicName)");
        }
        int semicolon = bsn.indexOf(';');
        return (semicolon < 0 ? bsn : bsn.substring(0, semicolon)).trim();
    }

    static Path bundlesDir() {
        return Paths.get(property(BUNDLES_DIR_PROPERTY, "target/bundles")).toAbsolutePath();
    }

    /** Surefire sets these; the defaults serve a run from an IDE with the module as working directory. */
    private static String property(String key, String fallback) {
        String value = System.getProperty(key);
        return value == null || value.isEmpty() ? fallback : value;
    }
}
