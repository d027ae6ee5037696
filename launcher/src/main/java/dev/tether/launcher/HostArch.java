package dev.tether.launcher;

import java.util.Locale;

/**
 * Tether's architecture names and the host's. The launcher is the one place outside the arch
 * bundles that reads {@code os.arch} (DESIGN rule 1 binds core, not the command line): it only
 * chooses the default {@code --arch} and tells the demo which arch bundle is expected to stay
 * unresolved.
 */
enum HostArch {
    amd64, arm64;

    /** The host's arch, from {@code os.arch}. */
    static HostArch host() {
        return fromOsArch(System.getProperty("os.arch", ""));
    }

    /**
     * Maps a JVM {@code os.arch} value: {@code amd64}/{@code x86_64} (the JDK says amd64 on
     * Linux x86-64) and {@code aarch64}/{@code arm64}.
     *
     * @throws CliException when Tether has no arch bundle for it
     */
    static HostArch fromOsArch(String osArch) {
        switch (osArch.toLowerCase(Locale.ROOT)) {
            case "amd64":
            case "x86_64":
                return amd64;
            case "aarch64":
            case "arm64":
                return arm64;
            default:
                throw CliException.failed("unsupported host architecture os.arch=" + osArch
                        + " (Tether has arch bundles for amd64 and arm64; pass --arch)");
        }
    }

    /** The other one. */
    HostArch other() {
        return this == amd64 ? arm64 : amd64;
    }

    /** Bundle-SymbolicName of this arch's bundle. */
    String bundleName() {
        return "dev.tether.arch." + name();
    }
}
