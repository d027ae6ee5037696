package dev.tether.bpf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.List;

/**
 * An immutable classic BPF program: a list of {@link SockFilter}s. Construction does not
 * validate the program (use {@link Validator}); it only holds instructions that are encodable.
 *
 * <p>The byte form is the kernel's array of {@code struct sock_filter} (8 bytes each: u16 code,
 * u8 jt, u8 jf, u32 k) in a given byte order; for {@code seccomp(2)} that is the native order,
 * little-endian on amd64 and arm64.
 */
public final class Program {
    private final int[] code;
    private final int[] jt;
    private final int[] jf;
    private final int[] k;

    private Program(int[] code, int[] jt, int[] jf, int[] k) {
        this.code = code;
        this.jt = jt;
        this.jf = jf;
        this.k = k;
    }

    /** A program of these instructions. */
    public static Program of(Collection<SockFilter> instructions) {
        int n = instructions.size();
        int[] c = new int[n];
        int[] t = new int[n];
        int[] f = new int[n];
        int[] kk = new int[n];
        int i = 0;
        for (SockFilter s : instructions) {
            c[i] = s.code();
            t[i] = s.jt();
            f[i] = s.jf();
            kk[i] = s.k();
            i++;
        }
        return new Program(c, t, f, kk);
    }

    /** A program of these instructions. */
    public static Program of(SockFilter... instructions) {
        return of(Arrays.asList(instructions));
    }

    /** A program of these typed instructions (assembled one by one). */
    public static Program assemble(List<? extends Instruction> instructions) {
        List<SockFilter> raw = new ArrayList<>(instructions.size());
        for (Instruction i : instructions) {
            raw.add(i.assemble());
        }
        return of(raw);
    }

    /** Number of instructions. */
    public int size() {
        return code.length;
    }

    /** Instruction {@code i}. */
    public SockFilter get(int i) {
        return new SockFilter(code[i], jt[i], jf[i], k[i]);
    }

    /** The raw instructions. */
    public List<SockFilter> sockFilters() {
        List<SockFilter> out = new ArrayList<>(code.length);
        for (int i = 0; i < code.length; i++) {
            out.add(get(i));
        }
        return Collections.unmodifiableList(out);
    }

    /**
     * The typed instructions.
     *
     * @throws BpfException (INVALID_OPCODE) naming the pc of the first unknown opcode
     */
    public List<Instruction> instructions() {
        List<Instruction> out = new ArrayList<>(code.length);
        for (int i = 0; i < code.length; i++) {
            try {
                out.add(Instruction.decode(get(i)));
            } catch (BpfException e) {
                throw new BpfException(e.kind(), i, e.getMessage());
            }
        }
        return Collections.unmodifiableList(out);
    }

    // Raw field access for the interpreter and validator (no copies).
    int code(int i) { return code[i]; }
    int jt(int i) { return jt[i]; }
    int jf(int i) { return jf[i]; }
    int k(int i) { return k[i]; }

    /** The kernel's {@code struct sock_filter[]} in the given byte order. */
    public byte[] toBytes(ByteOrder order) {
        ByteBuffer b = ByteBuffer.allocate(code.length * SockFilter.SIZE).order(order);
        for (int i = 0; i < code.length; i++) {
            b.putShort((short) code[i]).put((byte) jt[i]).put((byte) jf[i]).putInt(k[i]);
        }
        return b.array();
    }

    /**
     * The program in a {@code struct sock_filter[]}.
     *
     * @throws BpfException (ENCODING) if the length is not a multiple of 8
     */
    public static Program fromBytes(byte[] bytes, ByteOrder order) {
        if (bytes.length % SockFilter.SIZE != 0) {
            throw new BpfException(BpfException.Kind.ENCODING, -1, "BPF program of " + bytes.length
                    + " bytes is not a whole number of 8-byte struct sock_filter");
        }
        int n = bytes.length / SockFilter.SIZE;
        ByteBuffer b = ByteBuffer.wrap(bytes).order(order);
        int[] c = new int[n];
        int[] t = new int[n];
        int[] f = new int[n];
        int[] kk = new int[n];
        for (int i = 0; i < n; i++) {
            c[i] = Short.toUnsignedInt(b.getShort());
            t[i] = Byte.toUnsignedInt(b.get());
            f[i] = Byte.toUnsignedInt(b.get());
            kk[i] = b.getInt();
        }
        return new Program(c, t, f, kk);
    }

    /** Each instruction as {@code [code, jt, jf, k]}. */
    public List<int[]> toArrays() {
        List<int[]> out = new ArrayList<>(code.length);
        for (int i = 0; i < code.length; i++) {
            out.add(new int[] {code[i], jt[i], jf[i], k[i]});
        }
        return out;
    }

    /**
     * The program from {@code [code, jt, jf, k]} arrays; {@code k} may be given as a signed or
     * unsigned 32-bit value (it is truncated to 32 bits).
     *
     * @throws BpfException (ENCODING) naming the index of a malformed entry
     */
    public static Program fromArrays(List<int[]> arrays) {
        List<SockFilter> raw = new ArrayList<>(arrays.size());
        for (int i = 0; i < arrays.size(); i++) {
            int[] a = arrays.get(i);
            if (a == null || a.length != 4) {
                throw new BpfException(BpfException.Kind.ENCODING, i, "expected [code, jt, jf, k]");
            }
            try {
                raw.add(new SockFilter(a[0], a[1], a[2], a[3]));
            } catch (BpfException e) {
                throw new BpfException(BpfException.Kind.ENCODING, i, e.getMessage());
            }
        }
        return of(raw);
    }

    /** {@link #fromArrays(List)} for literal arrays. */
    public static Program fromArrays(int[]... arrays) {
        return fromArrays(Arrays.asList(arrays));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Program p && Arrays.equals(code, p.code) && Arrays.equals(jt, p.jt)
                && Arrays.equals(jf, p.jf) && Arrays.equals(k, p.k);
    }

    @Override
    public int hashCode() {
        return ((Arrays.hashCode(code) * 31 + Arrays.hashCode(jt)) * 31 + Arrays.hashCode(jf)) * 31
                + Arrays.hashCode(k);
    }

    /**
     * The disassembly, as {@code Disassembler.disassemble(Program)} prints it, except that an
     * unknown opcode prints as the raw instruction instead of failing.
     */
    @Override
    public String toString() {
        return Listing.render(size(), this::get, null, true);
    }
}
