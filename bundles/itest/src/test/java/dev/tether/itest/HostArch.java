package dev.tether.itest;

import java.util.Locale;

/**
 * The architectures Tether has arch bundles for, and which one this JVM runs on.
 *
 * <p>Only test code may look at {@code os.arch}: product code never does (DESIGN rule 1); there the
 * framework's {@code osgi.native} capability decides which arch bundle resolves.
 */
public enum HostArch {
    /** x86-64. */
    AMD64("amd64", "x86-64"),
    /** aarch64. */
    ARM64("arm64", "aarch64");

    private final String archName;
    private final String nativeProcessor;

    HostArch(String archName, String nativeProcessor) {
        this.archName = archName;
        this.nativeProcessor = nativeProcessor;
    }

    /** The value of the {@code tether.arch} service property, and the suffix of the arch bundle's name. */
    public String archName() {
        return archName;
    }

    /**
     * The {@code osgi.native.processor} value the arch bundle requires (its package-info
     * {@code @Requirement}); one of the aliases of OSGi Core R8 §4.2.2 (Table 4.3).
     */
    public String nativeProcessor() {
        return nativeProcessor;
    }

    /** {@code dev.tether.arch.amd64} or {@code dev.tether.arch.arm64}. */
    public String bundleSymbolicName() {
        return "dev.tether.arch." + archName;
    }

    /** The other architecture: its arch bundle must not resolve on this host. */
    public HostArch other() {
        return this == AMD64 ? ARM64 : AMD64;
    }

    /** The architecture of this JVM. */
    public static HostArch current() {
        return fromOsArch(System.getProperty("os.arch"));
    }

    /**
     * Maps a value of the {@code os.arch} system property (HotSpot says {@code amd64} or
     * {@code aarch64}; other JVMs say {@code x86_64} or {@code arm64}).
     *
     * @throws IllegalArgumentException naming the value when Tether has no arch bundle for it
     */
    public static HostArch fromOsArch(String osArch) {
        if (osArch == null) {
            throw new IllegalArgumentException("os.arch is not set");
        }
        switch (osArch.toLowerCase(Locale.ROOT)) {
            case "amd64":
            case "x86_64":
            case "x86-64":
                return AMD64;
            case "aarch64":
            case "arm64":
                return ARM64;
            default:
                throw new IllegalArgumentException(
                        "os.arch \"" + osArch + "\": Tether has arch bundles for amd64 and arm64 only");
        }
    }
}
