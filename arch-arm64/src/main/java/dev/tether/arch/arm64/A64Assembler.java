package dev.tether.arch.arm64;

import dev.tether.spi.support.Assembler;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A small typed AArch64 (A64) encoder: just the instructions the stub, the clone trampoline and
 * the trap handler need, each with its GNU assembler text, and branches to the labels of {@link Assembler}.
 *
 * <p>Every A64 instruction is one little-endian 32-bit word; encodings follow the Arm ARM (DDI
 * 0487), "A64 Instruction Set Encoding", and are checked against GNU {@code as}
 * ({@code aarch64-linux-gnu-as}) by the tests. Branches have a single size, so labels need no
 * relaxation, only a range check (B.cond/CBZ: +-1 MiB, B: +-128 MiB).
 *
 * <p>Register 31 means SP or XZR depending on the operand; each method says which it accepts and
 * rejects the other with an {@link IllegalArgumentException}. Not thread-safe; one instance builds
 * one program.
 */
final class A64Assembler extends Assembler<A64Assembler, A64Assembler.Insn> {
    /** The 64-bit registers x0..x30, the stack pointer and the zero register (both number 31). */
    enum Reg {
        X0, X1, X2, X3, X4, X5, X6, X7, X8, X9, X10, X11, X12, X13, X14, X15,
        X16, X17, X18, X19, X20, X21, X22, X23, X24, X25, X26, X27, X28, X29, X30, SP, XZR;

        int code() {
            return this == XZR ? 31 : ordinal();
        }

        String gnu() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Condition codes of B.cond (Arm ARM C1.2.4). */
    enum Cond {
        EQ, NE, HS, LO, MI, PL, VS, VC, HI, LS, GE, LT, GT, LE;

        int code() {
            return ordinal();
        }

        String mnemonic() {
            return "b." + name().toLowerCase(Locale.ROOT);
        }
    }

    /** An instruction word, or a branch whose offset field is filled in at assembly. */
    static final class Insn {
        final int word;
        final String text;
        final Label target;  // null: no label
        final int bits;      // width of the word-offset field of a branch (19 or 26)
        final int shift;     // its position in the word (5 or 0)

        Insn(int word, String text, Label target, int bits, int shift) {
            this.word = word;
            this.text = text;
            this.target = target;
            this.bits = bits;
            this.shift = shift;
        }
    }

    A64Assembler() {
        super("\t.text\n", A64Assembler::listingCode);
    }

    @Override
    protected A64Assembler self() {
        return this;
    }

    /** The instruction word of {@code line}. */
    static int word(Line line) {
        return word(line.bytes());
    }

    // ---- moves --------------------------------------------------------------------------------

    /** {@code movz xd, #imm16, lsl #shift} (shift 0, 16, 32 or 48). */
    A64Assembler movz(Reg rd, int imm16, int shift) {
        return moveWide(0xd2800000, "movz", rd, imm16, shift);
    }

    /** {@code movz xd, #imm16}. */
    A64Assembler movz(Reg rd, int imm16) {
        return movz(rd, imm16, 0);
    }

    /** {@code movk xd, #imm16, lsl #shift}: replaces one 16-bit field, keeps the others. */
    A64Assembler movk(Reg rd, int imm16, int shift) {
        return moveWide(0xf2800000, "movk", rd, imm16, shift);
    }

    /** Any 64-bit constant: {@code movz} of the lowest non-zero halfword, {@code movk} for the others. */
    A64Assembler movImm(Reg rd, long value) {
        if (value == 0) {
            return movz(rd, 0);
        }
        boolean first = true;
        for (int shift = 0; shift < 64; shift += 16) {
            int half = (int) (value >>> shift) & 0xffff;
            if (half != 0) {
                if (first) {
                    movz(rd, half, shift);
                    first = false;
                } else {
                    movk(rd, half, shift);
                }
            }
        }
        return this;
    }

    /** {@code mov xd, xm} = {@code orr xd, xzr, xm}. Neither may be SP (that is an ADD). */
    A64Assembler movReg(Reg rd, Reg rm) {
        notSp("mov", rd, rm);
        return emit(0xaa0003e0 | rm.code() << 16 | rd.code(), "mov " + rd.gnu() + ", " + rm.gnu());
    }

    /** {@code mrs xt, tpidr_el0}: the user thread pointer (S3_3_C13_C0_2). */
    A64Assembler mrsTpidrEl0(Reg rt) {
        notSp("mrs", rt);
        return emit(0xd53bd040 | rt.code(), "mrs " + rt.gnu() + ", tpidr_el0");
    }

    /**
     * {@code msr tpidr_el0, xt}: sets the user thread pointer (Arm ARM DDI 0487, C6.2 "MSR (register)": as
     * {@code mrs} with L=0; TPIDR_EL0 is writable at EL0).
     */
    A64Assembler msrTpidrEl0(Reg rt) {
        notSp("msr", rt);
        return emit(0xd51bd040 | rt.code(), "msr tpidr_el0, " + rt.gnu());
    }

    // ---- arithmetic ---------------------------------------------------------------------------

    /** {@code add xd|sp, xn|sp, #imm}, imm 0..4095 or a multiple of 4096 up to 4095 &lt;&lt; 12. */
    A64Assembler addImm(Reg rd, Reg rn, int imm) {
        return addSubImm(0x91000000, "add", rd, rn, imm);
    }

    /** {@code sub xd|sp, xn|sp, #imm}. */
    A64Assembler subImm(Reg rd, Reg rn, int imm) {
        return addSubImm(0xd1000000, "sub", rd, rn, imm);
    }

    /** {@code add xd, xn, xm} (shifted-register form, no shift; 31 = xzr). */
    A64Assembler addReg(Reg rd, Reg rn, Reg rm) {
        notSp("add", rd, rn, rm);
        return emit(0x8b000000 | rm.code() << 16 | rn.code() << 5 | rd.code(),
                "add " + rd.gnu() + ", " + rn.gnu() + ", " + rm.gnu());
    }

    /** {@code cmp xn|sp, #imm} = {@code subs xzr, xn, #imm}. */
    A64Assembler cmpImm(Reg rn, int imm) {
        notXzr("cmp", rn);
        return emit(0xf1000000 | immField(imm, "cmp") | rn.code() << 5 | 31, "cmp " + rn.gnu() + ", #" + imm);
    }

    /** {@code cmn xn|sp, #imm} = {@code adds xzr, xn, #imm}: flags of {@code xn + imm}. */
    A64Assembler cmnImm(Reg rn, int imm) {
        notXzr("cmn", rn);
        return emit(0xb1000000 | immField(imm, "cmn") | rn.code() << 5 | 31, "cmn " + rn.gnu() + ", #" + imm);
    }

    /** {@code cmp xn, xm} = {@code subs xzr, xn, xm}. */
    A64Assembler cmpReg(Reg rn, Reg rm) {
        notSp("cmp", rn, rm);
        return emit(0xeb000000 | rm.code() << 16 | rn.code() << 5 | 31, "cmp " + rn.gnu() + ", " + rm.gnu());
    }

    /** {@code neg xd, xm} = {@code sub xd, xzr, xm}. */
    A64Assembler neg(Reg rd, Reg rm) {
        notSp("neg", rd, rm);
        return emit(0xcb0003e0 | rm.code() << 16 | rd.code(), "neg " + rd.gnu() + ", " + rm.gnu());
    }

    /**
     * {@code and xd|sp, xn, #imm}: AND (immediate), imm a bitmask immediate ({@link A64LogicalImmediate};
     * Arm ARM DDI 0487, C6.2 "AND (immediate)": sf=1, opc=00, 100100, N:immr:imms). Rd 31 is SP, Rn 31 XZR.
     */
    A64Assembler andImm(Reg rd, Reg rn, long imm) {
        notXzr("and", rd);
        notSp("and", rn);
        return emit(0x92000000 | A64LogicalImmediate.encode(imm) << 10 | rn.code() << 5 | rd.code(),
                "and " + rd.gnu() + ", " + rn.gnu() + ", #0x" + Long.toHexString(imm));
    }

    // ---- memory -------------------------------------------------------------------------------

    /** {@code ldr xt, [xn|sp, #off]}: unsigned offset, a multiple of 8 in 0..32760. */
    A64Assembler ldr(Reg rt, Reg rn, int off) {
        return loadStore(0xf9400000, "ldr", rt, rn, off);
    }

    /** {@code str xt, [xn|sp, #off]}: unsigned offset, a multiple of 8 in 0..32760. */
    A64Assembler str(Reg rt, Reg rn, int off) {
        return loadStore(0xf9000000, "str", rt, rn, off);
    }

    /** {@code stp xt1, xt2, [xn|sp, #imm]!} (pre-index): imm a multiple of 8 in -512..504. */
    A64Assembler stpPre(Reg rt1, Reg rt2, Reg rn, int imm) {
        return pair(0xa9800000, rt1, rt2, rn, imm,
                "stp " + rt1.gnu() + ", " + rt2.gnu() + ", [" + rn.gnu() + ", #" + imm + "]!");
    }

    /** {@code ldp xt1, xt2, [xn|sp], #imm} (post-index): imm a multiple of 8 in -512..504. */
    A64Assembler ldpPost(Reg rt1, Reg rt2, Reg rn, int imm) {
        return pair(0xa8c00000, rt1, rt2, rn, imm,
                "ldp " + rt1.gnu() + ", " + rt2.gnu() + ", [" + rn.gnu() + "], #" + imm);
    }

    /**
     * {@code stlr xt, [xn|sp]}: store-release (Arm ARM DDI 0487, C6.2 "STLR", size=11: 0xc89ffc00; its
     * ordering: B2.3 "Definition of the Arm memory model", Load-Acquire/Store-Release). ARMv8.0, unlike
     * the LSE atomics (SWPAL needs FEAT_LSE, which e.g. a Cortex-A72 lacks).
     */
    A64Assembler stlr(Reg rt, Reg rn) {
        return acquireRelease(0xc89ffc00, "stlr", rt, rn);
    }

    /** {@code ldar xt, [xn|sp]}: load-acquire (Arm ARM DDI 0487, C6.2 "LDAR", size=11: 0xc8dffc00). */
    A64Assembler ldar(Reg rt, Reg rn) {
        return acquireRelease(0xc8dffc00, "ldar", rt, rn);
    }

    /**
     * {@code dmb ish}: a full data memory barrier over the inner shareable domain (Arm ARM DDI 0487,
     * C6.2 "DMB", CRm=0b1011 ISH, opc=01): orders a store before a later load, which a store-release alone does not.
     */
    A64Assembler dmbIsh() {
        return emit(0xd5033bbf, "dmb ish");
    }

    /** {@code yield}: the spin-wait hint (Arm ARM DDI 0487, C6.2 "YIELD", a HINT with CRm=0, op2=1). */
    A64Assembler yield() {
        return emit(0xd503203f, "yield");
    }

    // ---- control ------------------------------------------------------------------------------

    /** {@code b label}: +-128 MiB. */
    A64Assembler b(Label target) {
        return branch(0x14000000, "b " + target.name(), target, 26, 0);
    }

    /** {@code b.cond label}: +-1 MiB. */
    A64Assembler bcond(Cond cond, Label target) {
        return branch(0x54000000 | cond.code(), cond.mnemonic() + " " + target.name(), target, 19, 5);
    }

    /** {@code cbz xt, label}: branch when xt == 0, +-1 MiB. */
    A64Assembler cbz(Reg rt, Label target) {
        notSp("cbz", rt);
        return branch(0xb4000000 | rt.code(), "cbz " + rt.gnu() + ", " + target.name(), target, 19, 5);
    }

    /** {@code cbnz xt, label}: branch when xt != 0, +-1 MiB. */
    A64Assembler cbnz(Reg rt, Label target) {
        notSp("cbnz", rt);
        return branch(0xb5000000 | rt.code(), "cbnz " + rt.gnu() + ", " + target.name(), target, 19, 5);
    }

    /** {@code br xn}. */
    A64Assembler br(Reg rn) {
        notSp("br", rn);
        return emit(0xd61f0000 | rn.code() << 5, "br " + rn.gnu());
    }

    /** {@code ret} (to x30). */
    A64Assembler ret() {
        return emit(0xd65f03c0, "ret");
    }

    /** {@code svc #imm16}: the syscall instruction (4 bytes; Arm ARM, SVC). */
    A64Assembler svc(int imm16) {
        return emit(0xd4000001 | imm16(imm16, "svc") << 5, "svc #" + imm16);
    }

    /** {@code brk #imm16}: a breakpoint, SIGTRAP. */
    A64Assembler brk(int imm16) {
        return emit(0xd4200000 | imm16(imm16, "brk") << 5, "brk #" + imm16);
    }

    /** {@code hlt #imm16}: a halting-debug breakpoint; in user mode an undefined instruction. */
    A64Assembler hlt(int imm16) {
        return emit(0xd4400000 | imm16(imm16, "hlt") << 5, "hlt #" + imm16);
    }

    /** {@code nop}. */
    A64Assembler nop() {
        return emit(0xd503201f, "nop");
    }

    // ---- assembly -----------------------------------------------------------------------------

    /**
     * Resolves the branches and encodes the words.
     *
     * @throws IllegalStateException naming a branch whose label is never bound or out of range
     */
    @Override
    protected List<byte[]> encode() {
        Map<Label, Integer> offsets = labelOffsets(i -> 4);
        List<byte[]> out = new ArrayList<>();
        int pos = 0;
        for (Insn i : items()) {
            int word = i.word;
            if (i.target != null) {
                Integer target = offsets.get(i.target);
                if (target == null) {
                    throw new IllegalStateException("branch \"" + i.text + "\" to label " + i.target.name()
                            + ", which is never bound");
                }
                int disp = (target - pos) / 4;
                int limit = 1 << (i.bits - 1);
                if (disp < -limit || disp >= limit) {
                    throw new IllegalStateException("branch \"" + i.text + "\" at 0x" + Integer.toHexString(pos)
                            + ": target 0x" + Integer.toHexString(target) + " is out of range (+-" + (limit * 4) + " bytes)");
                }
                word |= (disp & ((1 << i.bits) - 1)) << i.shift;
            }
            out.add(le(word));
            pos += 4;
        }
        return out;
    }

    @Override
    protected String text(Insn item) {
        return item.text;
    }

    /** The listing's code column: the instruction word in hex. */
    private static String listingCode(byte[] bytes) {
        return String.format("%08x  ", word(bytes));
    }

    // ---- encoding helpers ---------------------------------------------------------------------

    private A64Assembler moveWide(int opc, String mnemonic, Reg rd, int imm16, int shift) {
        notSp(mnemonic, rd);
        imm16(imm16, mnemonic);
        if (shift != 0 && shift != 16 && shift != 32 && shift != 48) {
            throw new IllegalArgumentException(mnemonic + ": shift " + shift + " is not 0, 16, 32 or 48");
        }
        return emit(opc | (shift / 16) << 21 | imm16 << 5 | rd.code(),
                mnemonic + " " + rd.gnu() + ", #" + imm16 + (shift == 0 ? "" : ", lsl #" + shift));
    }

    private A64Assembler addSubImm(int opc, String mnemonic, Reg rd, Reg rn, int imm) {
        notXzr(mnemonic, rd, rn);
        return emit(opc | immField(imm, mnemonic) | rn.code() << 5 | rd.code(),
                mnemonic + " " + rd.gnu() + ", " + rn.gnu() + ", #" + imm);
    }

    /** The sh:imm12 field of ADD/SUB (immediate). */
    private static int immField(int imm, String mnemonic) {
        if (imm >= 0 && imm <= 0xfff) {
            return imm << 10;
        }
        if (imm > 0 && (imm & 0xfff) == 0 && imm >>> 12 <= 0xfff) {
            return 1 << 22 | (imm >>> 12) << 10;
        }
        throw new IllegalArgumentException(mnemonic + ": immediate " + imm + " is not 0..4095, optionally shifted left by 12");
    }

    private A64Assembler loadStore(int opc, String mnemonic, Reg rt, Reg rn, int off) {
        notSp(mnemonic, rt);
        notXzr(mnemonic, rn);
        if (off < 0 || off > 32760 || off % 8 != 0) {
            throw new IllegalArgumentException(mnemonic + ": offset " + off + " is not a multiple of 8 in 0..32760");
        }
        return emit(opc | (off / 8) << 10 | rn.code() << 5 | rt.code(),
                mnemonic + " " + rt.gnu() + ", [" + rn.gnu() + (off == 0 ? "]" : ", #" + off + "]"));
    }

    private A64Assembler acquireRelease(int opc, String mnemonic, Reg rt, Reg rn) {
        notSp(mnemonic, rt);
        notXzr(mnemonic, rn);
        return emit(opc | rn.code() << 5 | rt.code(), mnemonic + " " + rt.gnu() + ", [" + rn.gnu() + "]");
    }

    private A64Assembler pair(int opc, Reg rt1, Reg rt2, Reg rn, int imm, String text) {
        notSp(text, rt1, rt2);
        notXzr(text, rn);
        if (imm < -512 || imm > 504 || imm % 8 != 0) {
            throw new IllegalArgumentException(text + ": offset " + imm + " is not a multiple of 8 in -512..504");
        }
        return emit(opc | ((imm / 8) & 0x7f) << 15 | rt2.code() << 10 | rn.code() << 5 | rt1.code(), text);
    }

    private A64Assembler branch(int word, String text, Label target, int bits, int shift) {
        return add(new Insn(word, text, Objects.requireNonNull(target, "target"), bits, shift));
    }

    private static int imm16(int v, String mnemonic) {
        if (v < 0 || v > 0xffff) {
            throw new IllegalArgumentException(mnemonic + ": immediate " + v + " is not 0..65535");
        }
        return v;
    }

    /** SP is not allowed here (register 31 means XZR). */
    private static void notSp(String what, Reg... regs) {
        for (Reg r : regs) {
            if (r == Reg.SP) {
                throw new IllegalArgumentException(what + ": sp is not allowed here (register 31 is xzr)");
            }
        }
    }

    /** XZR is not allowed here (register 31 means SP). */
    private static void notXzr(String what, Reg... regs) {
        for (Reg r : regs) {
            if (r == Reg.XZR) {
                throw new IllegalArgumentException(what + ": xzr is not allowed here (register 31 is sp)");
            }
        }
    }

    private A64Assembler emit(int word, String text) {
        return add(new Insn(word, text, null, 0, 0));
    }

    /** The word whose little-endian bytes are {@code b}. */
    private static int word(byte[] b) {
        return (b[0] & 0xff) | (b[1] & 0xff) << 8 | (b[2] & 0xff) << 16 | (b[3] & 0xff) << 24;
    }

    private static byte[] le(int w) {
        return new byte[] {(byte) w, (byte) (w >> 8), (byte) (w >> 16), (byte) (w >> 24)};
    }
}
