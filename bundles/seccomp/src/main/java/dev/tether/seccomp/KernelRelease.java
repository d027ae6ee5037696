package dev.tether.seccomp;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a kernel version is spelled: {@code "5.8"}, or a release such as {@code "6.1.0-18-amd64"}.
 * Its own class because {@link OciProfile} checks a profile's {@code minKernel} while reading it
 * and {@link OciResolver} compares versions, and the profile must not depend on its resolver.
 */
final class KernelRelease {
    private static final Pattern MAJOR_MINOR = Pattern.compile("([0-9]{1,4})\\.([0-9]{1,4})([^0-9].*)?");

    private KernelRelease() {
    }

    /**
     * The major and minor number of {@code text} (major.minor, then anything).
     *
     * @throws IllegalArgumentException naming the text
     */
    static int[] majorMinor(String text) {
        Matcher m = MAJOR_MINOR.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("bad kernel version " + Json.quoted(text) + " (expected major.minor, e.g. 5.8)");
        }
        return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
    }
}
