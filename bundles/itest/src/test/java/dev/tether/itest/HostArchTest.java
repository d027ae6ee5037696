package dev.tether.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.api.HostArch;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/** Plain JUnit 5 (Jupiter) test, run by the same Surefire/JUnit Platform run as the Pax Exam classes. */
class HostArchTest {

    @ParameterizedTest
    @CsvSource({
        "amd64, amd64", "x86_64, amd64", "X86_64, amd64", "x86-64, amd64",
        "aarch64, arm64", "arm64, arm64"
    })
    void mapsEveryOsArchSpellingOfAKnownArch(String osArch, HostArch expected) {
        assertEquals(expected, HostArch.fromOsArch(osArch));
    }

    @Test
    void namesTheUnknownOsArch() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HostArch.fromOsArch("riscv64"));
        assertTrue(e.getMessage().contains("os.arch=riscv64"), e.getMessage());
    }

    @Test
    void otherIsTheOtherArch() {
        assertEquals(HostArch.arm64, HostArch.amd64.other());
        assertEquals(HostArch.amd64, HostArch.arm64.other());
    }

    /** The class names are those of the arch bundles of this build (on this test's class path). */
    @ParameterizedTest
    @EnumSource(HostArch.class)
    void namesTheArchBundlesClasses(HostArch arch) throws Exception {
        Class<?> layout = Class.forName(arch.className("RegisterLayout"));
        assertTrue(dev.tether.spi.RegisterLayout.class.isAssignableFrom(layout), layout::getName);
        assertEquals(arch.bundleSymbolicName(), layout.getPackageName());
    }

    /** The names and processors here are the ones the arch bundles of this build declare. */
    @ParameterizedTest
    @EnumSource(HostArch.class)
    void matchesTheArchBundleOfThisBuild(HostArch arch) {
        List<Path> jars = TetherOptions.runtimeBundles().stream()
                .filter(jar -> TetherOptions.symbolicName(jar).equals(arch.bundleSymbolicName()))
                .collect(Collectors.toList());
        assertEquals(1, jars.size(), () -> "bundles named " + arch.bundleSymbolicName() + " in "
                + TetherOptions.bundlesDir() + ": " + jars);
        String requirements = TetherOptions.manifestHeader(jars.get(0), "Require-Capability");
        assertTrue(requirements != null
                && requirements.contains("osgi.native;filter:=\"(osgi.native.processor=" + arch.nativeProcessor() + ")\""),
                () -> jars.get(0) + " Require-Capability: " + requirements);
    }
}
