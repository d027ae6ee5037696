package dev.tether.arch.arm64;

/**
 * The bitmask immediates of the A64 logical instructions (AND, ORR, EOR, ANDS with an immediate): a
 * 64-bit value that is one element of 2, 4, 8, 16, 32 or 64 bits repeated, each element a rotated run
 * of ones. Encoded as N:immr:imms, the inverse of the Arm ARM's {@code DecodeBitMasks()} pseudocode
 * (DDI 0487, shared pseudocode "aarch64/instrs/integer/bitmasks/DecodeBitMasks"): imms holds the run
 * length minus one under a prefix that names the element size, immr the right rotation.
 */
final class A64LogicalImmediate {
    private A64LogicalImmediate() {
    }

    /**
     * The 13-bit field N:immr:imms (bits 22..10 of the instruction, shifted down to bit 0) of {@code value}.
     *
     * @throws IllegalArgumentException naming the value when it is 0, all ones, or no replicated rotated run of ones
     */
    static int encode(long value) {
        if (value == 0 || value == -1) {
            throw new IllegalArgumentException("logical immediate 0x" + Long.toHexString(value)
                    + " cannot be encoded (0 and all ones are not bitmask immediates)");
        }
        int size = 64;
        // the smallest element size whose repetition gives the value
        while (size > 2) {
            int half = size / 2;
            long mask = (1L << half) - 1;
            if ((value & mask) != ((value >>> half) & mask)) {
                break;
            }
            size = half;
        }
        long mask = size == 64 ? -1L : (1L << size) - 1;
        long elem = value & mask;
        int ones = Long.bitCount(elem);
        long run = ones == 64 ? -1L : (1L << ones) - 1;
        for (int r = 0; r < size; r++) {
            // DecodeBitMasks: element = ROR(Ones(imms<len-1:0> + 1), immr) within the element size
            long rotated = r == 0 ? run : ((run >>> r) | (run << (size - r))) & mask;
            if (rotated == elem) {
                int n = size == 64 ? 1 : 0;
                int imms = ((-size << 1) & 0x3f) | (ones - 1);
                return n << 12 | r << 6 | imms;
            }
        }
        throw new IllegalArgumentException("logical immediate 0x" + Long.toHexString(value)
                + " cannot be encoded (its " + size + "-bit element is not a rotated run of ones)");
    }
}
