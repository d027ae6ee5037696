package dev.tether.itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
        "amd64, AMD64", "x86_64, AMD64", "X86_64, AMD64", "x86-64, AMD64",
        "aarch64, ARM64", "arm64, ARM64"
    })
    void mapsEveryOsArchSpellingOfAKnownArch(String osArch, HostArch expected) {
        assertEquals(expected, HostArch.fromOsArch(osArch));
    }

    @Test
    void namesTheUnknownOsArch() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HostArch.fromOsArch("riscv64"));
        assertTrue(e.getMessage().contains("\"riscv64\""), e.getMessage());
    }

    @Test
    void otherIsTheOtherArch() {
        assertEquals(HostArch.ARM64, HostArch.AMD64.other());
        assertEquals(HostArch.AMD64, HostArch.ARM64.other());
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
