package dev.tether.api;

import java.util.Locale;

/**
 * The architectures Tether has arch bundles for, and which one this JVM runs on: the one mapping
 * from the JVM's {@code os.arch} to Tether's arch names, for code that runs outside the OSGi
 * resolver's choice: the command line, the benchmarks, and tests that build a platform on a flat
 * class path or check which arch bundle resolved.
 *
 * <p>The platform itself never calls this: in a framework the {@code osgi.native} capability
 * decides which arch bundle resolves, and core composes whatever arch services are registered.
 *
 * <p>The constants are spelled as Tether spells its arches (the {@code tether.arch} service
 * property, the arch bundles' names, the command line's {@code --arch amd64|arm64}).
 */
public enum HostArch {
    /** x86-64. */
    amd64("x86-64", "Amd64"),
    /** aarch64. */
    arm64("aarch64", "Arm64");

    private final String nativeProcessor;
    private final String classPrefix;

    HostArch(String nativeProcessor, String classPrefix) {
        this.nativeProcessor = nativeProcessor;
        this.classPrefix = classPrefix;
    }

    /** The value of the {@code tether.arch} service property, and the suffix of the arch bundle's name. */
    public String archName() {
        return name();
    }

    /**
     * The {@code osgi.native.processor} value the arch bundle requires (its package-info
     * {@code @Requirement}); one of the aliases of OSGi Core R8 section 4.2.2 (Table 4.3).
     */
    public String nativeProcessor() {
        return nativeProcessor;
    }

    /** {@code dev.tether.arch.amd64} or {@code dev.tether.arch.arm64}. */
    public String bundleSymbolicName() {
        return "dev.tether.arch." + name();
    }

    /**
     * The name of the arch bundle's implementation class {@code simpleName}, as the arch bundles
     * name them ({@code RegisterLayout} is {@code dev.tether.arch.amd64.Amd64RegisterLayout}), for
     * code that instantiates them on a flat class path (benchmarks, kernel tests).
     */
    public String className(String simpleName) {
        return bundleSymbolicName() + "." + classPrefix + simpleName;
    }

    /** The other architecture: its arch bundle does not resolve on this host. */
    public HostArch other() {
        return this == amd64 ? arm64 : amd64;
    }

    /**
     * The architecture of this JVM, from {@code os.arch}.
     *
     * @throws IllegalArgumentException naming the value when Tether has no arch bundle for it
     */
    public static HostArch current() {
        return fromOsArch(System.getProperty("os.arch"));
    }

    /**
     * Maps a value of the {@code os.arch} system property: HotSpot says {@code amd64} on Linux
     * x86-64 and {@code aarch64} on arm64; other JVMs say {@code x86_64} or {@code arm64}.
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
                return amd64;
            case "aarch64":
            case "arm64":
                return arm64;
            default:
                throw new IllegalArgumentException("unsupported host architecture os.arch=" + osArch
                        + " (Tether has arch bundles for amd64 and arm64)");
        }
    }
}
