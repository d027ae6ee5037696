package dev.tether.bpf;

/**
 * How a listing prints a constant. Its own class because both the instructions' text and the
 * listing around it print constants, and the instructions must not depend on the listing.
 */
final class NumberText {
    private NumberText() {
    }

    /** Formats an unsigned 32-bit constant: decimal below 256, hex above. */
    static String num(int k) {
        if (Integer.compareUnsigned(k, 256) < 0) {
            return Integer.toString(k);
        }
        return "0x" + Integer.toHexString(k);
    }
}
