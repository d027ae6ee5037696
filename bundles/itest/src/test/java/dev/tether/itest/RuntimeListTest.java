package dev.tether.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.launcher.testing.ReactorBundles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The one list of the runtime's bundles (bundles/runtime/pom.xml) does not drift: the bundles this
 * module's containers install are exactly the reactor's bundle modules but the Karaf-only ones, and
 * the feature repository names all of them. (The launcher's runtime is checked the same way by its BootTest.) Plain JUnit 5, in the
 * Surefire JVM.
 */
class RuntimeListTest {

    @Test
    void theContainersGetEveryBundleOfTheReactor() {
        Set<String> installed = new TreeSet<>();
        for (Path jar : TetherOptions.runtimeBundles()) {
            String bsn = TetherOptions.symbolicName(jar);
            if (bsn.startsWith("dev.tether.")) {
                installed.add(bsn);
            }
        }
        assertEquals(ReactorBundles.symbolicNames(), installed,
                "the Tether bundles of " + TetherOptions.bundlesDir() + " (bundles/runtime/pom.xml) vs the reactor's bundle modules");
    }

    @Test
    void theFeatureRepositoryNamesEveryBundleOfTheReactor() throws Exception {
        Path features = Path.of(System.getProperty(KarafOptions.FEATURES_PROPERTY, "target/karaf/dev.tether.features-features.xml"));
        String xml = Files.readString(features);
        List<String> missing = new ArrayList<>();
        Set<String> all = new TreeSet<>(ReactorBundles.symbolicNames());
        all.addAll(ReactorBundles.karafOnly());
        for (String bsn : all) {
            if (!xml.contains("mvn:dev.tether/" + bsn + "/")) {
                missing.add(bsn);
            }
        }
        assertTrue(missing.isEmpty(), () -> "bundles of the reactor that no feature of " + features + " installs: " + missing
                + " (features/pom.xml generates tether-core from bundles/runtime/pom.xml; the template places the rest)");
    }

    @Test
    void aKarafOnlyBundleIsNotInTheRuntimeList() throws Exception {
        Set<String> karafOnly = ReactorBundles.karafOnly();
        assertTrue(karafOnly.contains("dev.tether.karaf.shell"), () -> "Karaf-only bundle modules: " + karafOnly);
        Set<String> installed = new TreeSet<>();
        for (Path jar : TetherOptions.runtimeBundles()) {
            installed.add(TetherOptions.symbolicName(jar));
        }
        installed.retainAll(karafOnly);
        assertEquals(Set.of(), installed, "Karaf-only bundles in " + TetherOptions.bundlesDir() + " (bundles/runtime/pom.xml):"
                + " Felix has no Karaf shell API to resolve them");
    }
}
