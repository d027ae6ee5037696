package dev.tether.bpf;

/**
 * One raw classic BPF instruction, {@code struct sock_filter} (include/uapi/linux/filter.h):
 * {@code __u16 code; __u8 jt; __u8 jf; __u32 k}. {@code k} is an unsigned 32-bit value kept in an
 * {@code int} (use {@link Integer#toUnsignedLong(int)} to read it as a number).
 *
 * @param code the opcode, 0..0xffff
 * @param jt jump offset if true (conditional jumps), 0..255
 * @param jf jump offset if false (conditional jumps), 0..255
 * @param k the generic field (constant, offset, jump distance, return value)
 */
public record SockFilter(int code, int jt, int jf, int k) {
    /** Size of {@code struct sock_filter} in bytes. */
    public static final int SIZE = 8;

    /**
     * @throws BpfException if a field is out of its C type's range
     */
    public SockFilter {
        if (code < 0 || code > 0xffff) {
            throw new BpfException(BpfException.Kind.ENCODING, -1,
                    "code 0x" + Integer.toHexString(code) + " does not fit in u16");
        }
        if (jt < 0 || jt > 0xff) {
            throw new BpfException(BpfException.Kind.ENCODING, -1, "jt " + jt + " does not fit in u8");
        }
        if (jf < 0 || jf > 0xff) {
            throw new BpfException(BpfException.Kind.ENCODING, -1, "jf " + jf + " does not fit in u8");
        }
    }

    /** {@code BPF_STMT(code, k)}. */
    public static SockFilter stmt(int code, int k) {
        return new SockFilter(code, 0, 0, k);
    }

    /** {@code BPF_JUMP(code, k, jt, jf)}. */
    public static SockFilter jump(int code, int k, int jt, int jf) {
        return new SockFilter(code, jt, jf, k);
    }

    /** {@code [code, jt, jf, k]}. */
    public int[] toArray() {
        return new int[] {code, jt, jf, k};
    }

    /** {@code code jt jf k} in hex, as in gVisor's and the kernel's listings. */
    @Override
    public String toString() {
        return String.format("{0x%02x, %d, %d, 0x%08x}", code, jt, jf, k);
    }
}
