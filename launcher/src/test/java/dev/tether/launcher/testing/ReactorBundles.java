package dev.tether.launcher.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The bundles of this reactor, read from its POMs (the root's {@code <module>}s whose POM builds a
 * bundle with bnd-maven-plugin), so that a test can check a runtime's bundles against them: a
 * bundle module that bundles/runtime/pom.xml forgets is a failing test, not a quiet omission.
 *
 * <p>Shared test code: the launcher's test-jar carries this package (and only it) to the
 * in-container tests of bundles/itest, which use it outside the containers (a container reads the
 * names from a system property set from them).
 */
public final class ReactorBundles {
    /** Surefire system property: the reactor's root directory (pom.xml). */
    public static final String ROOT_PROPERTY = "tether.reactor.root";
    private static final Pattern MODULE = Pattern.compile("<module>([^<]+)</module>");
    /** The module's own artifactId: the first one after its {@code <parent>} element. */
    private static final Pattern ARTIFACT = Pattern.compile("</parent>\\s*<artifactId>([^<]+)</artifactId>");

    /** The property a module's POM sets when its packages are embedded in another bundle (bundles/linux). */
    public static final String EMBEDDED = "<tether.embedded>true</tether.embedded>";
    /** The property a module's POM sets when its bundle runs only in Karaf (bundles/karaf-shell: Karaf's shell API). */
    public static final String KARAF_ONLY = "<tether.karafOnly>true</tether.karafOnly>";

    private ReactorBundles() {
    }

    /**
     * The artifactIds (= Bundle-SymbolicNames) of the reactor's bundle modules that every runtime
     * installs (the runtime list): neither embedded nor Karaf-only.
     */
    public static Set<String> symbolicNames() {
        return modules(false);
    }

    /** The artifactIds of the reactor's Karaf-only bundle modules (the feature repository installs them). */
    public static Set<String> karafOnly() {
        return modules(true);
    }

    private static Set<String> modules(boolean karafOnly) {
        String root = System.getProperty(ROOT_PROPERTY);
        if (root == null || root.isEmpty()) {
            throw new IllegalStateException(ROOT_PROPERTY + " is not set: run the tests through Maven");
        }
        Set<String> names = new TreeSet<>();
        Matcher modules = MODULE.matcher(read(Path.of(root, "pom.xml")));
        while (modules.find()) {
            String pom = read(Path.of(root, modules.group(1).trim(), "pom.xml"));
            Matcher artifact = ARTIFACT.matcher(pom);
            // a module embedded in another bundle (linux, inside core) is not a bundle of the runtime
            if (pom.contains("<artifactId>bnd-maven-plugin</artifactId>") && !pom.contains(EMBEDDED)
                    && pom.contains(KARAF_ONLY) == karafOnly && artifact.find()) {
                names.add(artifact.group(1).trim());
            }
        }
        if (names.isEmpty() && !karafOnly) {
            throw new IllegalStateException("no bundle module found under " + root);
        }
        return names;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
