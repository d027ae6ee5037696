package dev.tether.seccomp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * {@code struct seccomp_data} (include/uapi/linux/seccomp.h): what a seccomp filter sees.
 * Layout, 64 bytes: {@code int nr} at offset 0, {@code __u32 arch} at 4,
 * {@code __u64 instruction_pointer} at 8, {@code __u64 args[6]} at 16.
 */
public record SeccompData(int nr, int arch, long instructionPointer, long[] args) {
    /** sizeof(struct seccomp_data). */
    public static final int SIZE = 64;
    public static final int OFFSET_NR = 0;
    public static final int OFFSET_ARCH = 4;
    public static final int OFFSET_IP = 8;
    public static final int OFFSET_ARGS = 16;

    public SeccompData {
        if (args.length != Rule.MAX_ARGS) {
            throw new IllegalArgumentException("seccomp_data has 6 arguments, got " + args.length);
        }
        args = args.clone();
    }

    /**
     * The data of a call with up to six arguments (missing ones are 0).
     *
     * @throws IllegalArgumentException for more than six arguments
     */
    public static SeccompData of(int nr, int arch, long ip, long... args) {
        if (args.length > Rule.MAX_ARGS) {
            throw new IllegalArgumentException("seccomp_data has 6 arguments, got " + args.length);
        }
        return new SeccompData(nr, arch, ip, Arrays.copyOf(args, Rule.MAX_ARGS));
    }

    /** A copy of the arguments (the record keeps its own array unmodified). */
    @Override
    public long[] args() {
        return args.clone();
    }

    /** A copy of the arguments. */
    public long[] argsArray() {
        return args.clone();
    }

    /** Offset of the low 32-bit word of argument {@code i} (little-endian layout). */
    public static int argLow(int i) { return OFFSET_ARGS + 8 * i; }

    /** Offset of the high 32-bit word of argument {@code i} (little-endian layout). */
    public static int argHigh(int i) { return OFFSET_ARGS + 8 * i + 4; }

    /** The 64 bytes the kernel hands to the filter, in the given byte order. */
    public byte[] toBytes(ByteOrder order) {
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(order);
        b.putInt(nr).putInt(arch).putLong(instructionPointer);
        for (long a : args) {
            b.putLong(a);
        }
        return b.array();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SeccompData d && d.nr == nr && d.arch == arch
                && d.instructionPointer == instructionPointer && Arrays.equals(d.args, args);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(args) + Long.hashCode(instructionPointer) * 17 + nr * 7 + arch;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("seccomp_data{nr=").append(nr)
                .append(", arch=0x").append(Integer.toHexString(arch))
                .append(", ip=0x").append(Long.toHexString(instructionPointer)).append(", args=[");
        for (int i = 0; i < args.length; i++) {
            sb.append(i == 0 ? "" : ", ").append("0x").append(Long.toHexString(args[i]));
        }
        return sb.append("]}").toString();
    }
}
