package dev.tether.arch.amd64;

import dev.tether.spi.support.Assembler;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A small typed x86-64 encoder: just the instructions the stub and the clone trampoline need, each
 * with its GNU assembler (AT&amp;T) text, plus short/near jump selection for the labels of
 * {@link Assembler}.
 *
 * <p>Encodings follow the Intel SDM vol. 2 and are chosen the way GNU {@code as} (without
 * {@code -O}) chooses them, so that a test can assemble {@link Assembler.Program#gnuSource()}
 * with the real tool and compare byte for byte: register-to-register forms use the "r/m, reg"
 * opcodes (01, 29, 39, 85, 89), immediates use the sign-extended imm8 form when they fit, the
 * accumulator form ({@code 48 3d id}) for rax otherwise, and {@code movq $imm} uses
 * {@code C7 /0} unless the value needs {@code movabs}. Jumps start short (rel8) and are grown to
 * rel32 until every displacement fits, as gas relaxes them.
 *
 * <p>Not thread-safe; one instance builds one program.
 */
final class X86Assembler extends Assembler<X86Assembler, X86Assembler.Item> {
    /** The 64-bit general-purpose registers, with their encoding numbers. */
    enum Reg {
        RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15;

        int code() {
            return ordinal();
        }

        /** The low three bits that go into ModRM/SIB or the opcode. */
        int low() {
            return ordinal() & 7;
        }

        /** Whether the register needs a REX extension bit (r8..r15). */
        boolean extended() {
            return ordinal() >= 8;
        }

        String att() {
            return "%" + name().toLowerCase(Locale.ROOT);
        }
    }

    /** Condition codes of Jcc (the low nibble of {@code 0x70+cc} / {@code 0F 80+cc}). */
    enum Cond {
        O, NO, B, AE, E, NE, BE, A, S, NS, P, NP, L, GE, LE, G;

        int code() {
            return ordinal();
        }

        String mnemonic() {
            return "j" + name().toLowerCase(Locale.ROOT);
        }
    }

    /** An instruction: fixed bytes, or a jump whose size is settled at assembly. */
    abstract static class Item {
        abstract int size();

        abstract String text();
    }

    private static final class Fixed extends Item {
        final byte[] bytes;
        final String text;

        Fixed(byte[] bytes, String text) {
            this.bytes = bytes;
            this.text = text;
        }

        @Override
        int size() {
            return bytes.length;
        }

        @Override
        String text() {
            return text;
        }
    }

    /** jmp (cond == null) or jcc to a label; rel8 unless {@code near}. */
    private static final class Jump extends Item {
        final Cond cond;
        final Label target;
        boolean near;

        Jump(Cond cond, Label target) {
            this.cond = cond;
            this.target = target;
        }

        @Override
        int size() {
            if (!near) {
                return 2; // EB cb / 7x cb
            }
            return cond == null ? 5 : 6; // E9 cd / 0F 8x cd
        }

        @Override
        String text() {
            return (cond == null ? "jmp" : cond.mnemonic()) + " " + target.name();
        }
    }

    X86Assembler() {
        super("\t.text\n\t.code64\n", X86Assembler::listingCode);
    }

    @Override
    protected X86Assembler self() {
        return this;
    }

    // ---- data movement ------------------------------------------------------------------------

    /**
     * {@code mov $imm,%reg}: {@code REX.W C7 /0 id} when {@code imm} fits a sign-extended 32-bit
     * immediate, else {@code REX.W B8+r io} ({@code movabs}).
     */
    X86Assembler movImm(Reg dst, long imm) {
        if (imm == (int) imm) {
            return emit("movq $" + imm + "," + dst.att(), rexW(null, dst), 0xc7, modrmReg(0, dst), imm32((int) imm));
        }
        return emit("movabsq $" + imm + "," + dst.att(), rexW(null, dst), 0xb8 + dst.low(), imm64(imm));
    }

    /** {@code mov %src,%dst}: {@code REX.W 89 /r}. */
    X86Assembler movRegReg(Reg dst, Reg src) {
        return emit("mov " + src.att() + "," + dst.att(), rexW(src, dst), 0x89, modrmRegs(src, dst));
    }

    /** {@code mov disp(%base),%dst}: {@code REX.W 8B /r}. */
    X86Assembler movLoad(Reg dst, Reg base, int disp) {
        return emit("mov " + mem(base, disp) + "," + dst.att(), rexW(dst, base), 0x8b, memOperand(dst, base, disp));
    }

    /** {@code mov %src,disp(%base)}: {@code REX.W 89 /r}. */
    X86Assembler movStore(Reg base, int disp, Reg src) {
        return emit("mov " + src.att() + "," + mem(base, disp), rexW(src, base), 0x89, memOperand(src, base, disp));
    }

    /**
     * {@code mov %fs:disp,%dst}: {@code 64 REX.W 8B /r} with an absolute disp32 (SIB, no base, no
     * index). {@code mov %fs:0} reads the thread pointer: glibc's TCB starts with a pointer to
     * itself (x86-64 TLS ABI, {@code tcbhead_t.tcb}).
     */
    X86Assembler movFsLoad(Reg dst, int disp) {
        // ModRM mod=00 rm=100 -> SIB; SIB 0x25: scale 0, index 100 (none), base 101 (disp32 only).
        return emit("mov %fs:" + disp + "," + dst.att(), 0x64, rexW(dst, null), 0x8b,
                (dst.low() << 3) | 0x04, 0x25, imm32(disp));
    }

    /** {@code movq $imm,disp(%base)}: {@code REX.W C7 /0 id} (imm sign-extended to 64 bits). */
    X86Assembler movStoreImm(Reg base, int disp, int imm) {
        return emit("movq $" + imm + "," + mem(base, disp), rexW(null, base), 0xc7, memOperand(0, base, disp), imm32(imm));
    }

    /** {@code xchg %reg,disp(%base)}: {@code REX.W 87 /r}; with a memory operand always locked (Intel SDM vol. 2B, XCHG): a full barrier. */
    X86Assembler xchgStore(Reg base, int disp, Reg reg) {
        return emit("xchg " + reg.att() + "," + mem(base, disp), rexW(reg, base), 0x87, memOperand(reg, base, disp));
    }

    /** {@code lea disp(%base),%dst}: {@code REX.W 8D /r}. */
    X86Assembler lea(Reg dst, Reg base, int disp) {
        return emit("lea " + mem(base, disp) + "," + dst.att(), rexW(dst, base), 0x8d, memOperand(dst, base, disp));
    }

    /** {@code push %reg}: {@code [41] 50+r}. */
    X86Assembler pushReg(Reg reg) {
        return emit("push " + reg.att(), rexB(reg), 0x50 + reg.low());
    }

    /** {@code pop %reg}: {@code [41] 58+r}. */
    X86Assembler popReg(Reg reg) {
        return emit("pop " + reg.att(), rexB(reg), 0x58 + reg.low());
    }

    // ---- arithmetic ---------------------------------------------------------------------------

    /** {@code add $imm,%reg} (group-1 /0). */
    X86Assembler addImm(Reg reg, int imm) {
        return aluImm(0, "add", reg, imm);
    }

    /** {@code sub $imm,%reg} (group-1 /5). */
    X86Assembler subImm(Reg reg, int imm) {
        return aluImm(5, "sub", reg, imm);
    }

    /** {@code and $imm,%reg} (group-1 /4). */
    X86Assembler andImm(Reg reg, int imm) {
        return aluImm(4, "and", reg, imm);
    }

    /** {@code cmp $imm,%reg} (group-1 /7): flags of {@code reg - imm}. */
    X86Assembler cmpImm(Reg reg, int imm) {
        return aluImm(7, "cmp", reg, imm);
    }

    /** {@code add %src,%dst}: {@code REX.W 01 /r}, dst += src. */
    X86Assembler addRegReg(Reg dst, Reg src) {
        return emit("add " + src.att() + "," + dst.att(), rexW(src, dst), 0x01, modrmRegs(src, dst));
    }

    /** {@code sub %src,%dst}: {@code REX.W 29 /r}, dst -= src. */
    X86Assembler subRegReg(Reg dst, Reg src) {
        return emit("sub " + src.att() + "," + dst.att(), rexW(src, dst), 0x29, modrmRegs(src, dst));
    }

    /** {@code cmp %right,%left}: {@code REX.W 39 /r}, flags of {@code left - right}. */
    X86Assembler cmpRegReg(Reg left, Reg right) {
        return emit("cmp " + right.att() + "," + left.att(), rexW(right, left), 0x39, modrmRegs(right, left));
    }

    /** {@code test %b,%a}: {@code REX.W 85 /r}, flags of {@code a & b}. */
    X86Assembler testRegReg(Reg a, Reg b) {
        return emit("test " + b.att() + "," + a.att(), rexW(b, a), 0x85, modrmRegs(b, a));
    }

    /** {@code neg %reg}: {@code REX.W F7 /3}. */
    X86Assembler negReg(Reg reg) {
        return emit("neg " + reg.att(), rexW(null, reg), 0xf7, modrmReg(3, reg));
    }

    // ---- control ------------------------------------------------------------------------------

    /** {@code jcc label}: {@code 7x rel8}, or {@code 0F 8x rel32} when the target is too far. */
    X86Assembler jcc(Cond cond, Label target) {
        return add(new Jump(Objects.requireNonNull(cond, "cond"), Objects.requireNonNull(target, "target")));
    }

    /** {@code jmp label}: {@code EB rel8}, or {@code E9 rel32} when the target is too far. */
    X86Assembler jmp(Label target) {
        return add(new Jump(null, Objects.requireNonNull(target, "target")));
    }

    /** {@code jmp *%reg}: {@code [41] FF /4}. */
    X86Assembler jmpReg(Reg reg) {
        return emit("jmp *" + reg.att(), rexB(reg), 0xff, modrmReg(4, reg));
    }

    /** {@code syscall}: {@code 0F 05} (2 bytes; Intel SDM vol. 2B, SYSCALL). */
    X86Assembler syscall() {
        return emit("syscall", 0x0f, 0x05);
    }

    /** {@code int3}: {@code CC}, a SIGTRAP. */
    X86Assembler int3() {
        return emit("int3", 0xcc);
    }

    /** {@code hlt}: {@code F4}; privileged, so in user mode a SIGSEGV. */
    X86Assembler hlt() {
        return emit("hlt", 0xf4);
    }

    /** {@code ret}: {@code C3}. */
    X86Assembler ret() {
        return emit("ret", 0xc3);
    }

    /** {@code pause}: {@code F3 90}, the spin-wait hint (Intel SDM vol. 2B, PAUSE). */
    X86Assembler pause() {
        return emit("pause", 0xf3, 0x90);
    }

    /** {@code nop}: {@code 90}. */
    X86Assembler nop() {
        return emit("nop", 0x90);
    }

    // ---- assembly -----------------------------------------------------------------------------

    /**
     * Lays out the program: every jump starts short and is made near while its displacement does
     * not fit in 8 bits (growing only, so this terminates), then encodes every item.
     *
     * @throws IllegalStateException naming a label that is used but never bound
     */
    @Override
    protected List<byte[]> encode() {
        List<Item> items = items();
        Map<Label, Integer> offsets;
        boolean changed;
        do {
            changed = false;
            offsets = labelOffsets(Item::size);
            int pos = 0;
            for (Item it : items) {
                if (it instanceof Jump) {
                    Jump j = (Jump) it;
                    long disp = (long) target(j, offsets) - (pos + j.size());
                    if (!j.near && disp != (byte) disp) {
                        j.near = true;
                        changed = true;
                    }
                }
                pos += it.size();
            }
        } while (changed);
        List<byte[]> out = new ArrayList<>(items.size());
        int pos = 0;
        for (Item it : items) {
            if (it instanceof Fixed) {
                out.add(((Fixed) it).bytes);
            } else {
                Jump j = (Jump) it;
                int disp = target(j, offsets) - (pos + j.size());
                if (!j.near) {
                    out.add(new byte[] {(byte) (j.cond == null ? 0xeb : 0x70 + j.cond.code()), (byte) disp});
                } else if (j.cond == null) {
                    out.add(concat(new byte[] {(byte) 0xe9}, imm32(disp)));
                } else {
                    out.add(concat(new byte[] {0x0f, (byte) (0x80 + j.cond.code())}, imm32(disp)));
                }
            }
            pos += it.size();
        }
        return out;
    }

    @Override
    protected String text(Item item) {
        return item.text();
    }

    /** The offset of the jump's label. */
    private static int target(Jump j, Map<Label, Integer> offsets) {
        Integer target = offsets.get(j.target);
        if (target == null) {
            throw new IllegalStateException("jump \"" + j.text() + "\" to label " + j.target.name()
                    + ", which is never bound");
        }
        return target;
    }

    /** The listing's code column: the bytes in hex, padded to ten bytes (movabs, the longest here). */
    private static String listingCode(byte[] bytes) {
        StringBuilder hex = new StringBuilder();
        for (byte b : bytes) {
            hex.append(String.format("%02x ", b & 0xff));
        }
        return String.format("%-30s ", hex.toString().trim());
    }

    // ---- encoding helpers ---------------------------------------------------------------------

    private X86Assembler aluImm(int ext, String mnemonic, Reg reg, int imm) {
        String text = mnemonic + " $" + imm + "," + reg.att();
        if (imm == (byte) imm) {
            return emit(text, rexW(null, reg), 0x83, modrmReg(ext, reg), new byte[] {(byte) imm});
        }
        if (reg == Reg.RAX) {
            // The accumulator short form (e.g. 48 3d id for cmp), which gas prefers.
            return emit(text, 0x48, (ext << 3) | 0x05, imm32(imm));
        }
        return emit(text, rexW(null, reg), 0x81, modrmReg(ext, reg), imm32(imm));
    }

    /** REX.W with R from {@code reg} (ModRM.reg) and B from {@code rm} (ModRM.rm / base). */
    private static int rexW(Reg reg, Reg rm) {
        return 0x48 | (reg != null && reg.extended() ? 0x04 : 0) | (rm != null && rm.extended() ? 0x01 : 0);
    }

    /** Optional REX.B prefix (41) for opcodes without operand-size bit; null when not needed. */
    private static Object rexB(Reg reg) {
        return reg.extended() ? Integer.valueOf(0x41) : null;
    }

    /** ModRM for register-direct r/m with an opcode extension in ModRM.reg. */
    private static int modrmReg(int ext, Reg rm) {
        return 0xc0 | (ext << 3) | rm.low();
    }

    /** ModRM for register-direct r/m with a register in ModRM.reg. */
    private static int modrmRegs(Reg reg, Reg rm) {
        return 0xc0 | (reg.low() << 3) | rm.low();
    }

    /**
     * ModRM [+ SIB] [+ disp] for {@code disp(%base)}: no displacement when it is 0 (except for
     * rbp/r13, whose mod=00 encoding means RIP-relative/disp32), disp8 when it fits, else disp32;
     * rsp/r12 as base need a SIB byte (0x24: no index, base 100).
     */
    private static byte[] memOperand(Reg reg, Reg base, int disp) {
        return memOperand(reg.low(), base, disp);
    }

    /** The same with an opcode extension (or register number) {@code regField} in ModRM.reg. */
    private static byte[] memOperand(int regField, Reg base, int disp) {
        int mod = disp == 0 && base.low() != 5 ? 0 : disp == (byte) disp ? 1 : 2;
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write((mod << 6) | ((regField & 7) << 3) | base.low());
        if (base.low() == 4) {
            b.write(0x24);
        }
        if (mod == 1) {
            b.write(disp);
        } else if (mod == 2) {
            b.writeBytes(imm32(disp));
        }
        return b.toByteArray();
    }

    private static String mem(Reg base, int disp) {
        return (disp == 0 ? "" : Integer.toString(disp)) + "(" + base.att() + ")";
    }

    private static byte[] imm32(int v) {
        return new byte[] {(byte) v, (byte) (v >> 8), (byte) (v >> 16), (byte) (v >> 24)};
    }

    private static byte[] imm64(long v) {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (v >> (8 * i));
        }
        return b;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = new byte[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    /** Appends an instruction made of bytes (Integer), byte arrays and nulls (skipped). */
    private X86Assembler emit(String text, Object... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (Object p : parts) {
            if (p instanceof Integer) {
                b.write((Integer) p);
            } else if (p instanceof byte[]) {
                b.writeBytes((byte[]) p);
            }
        }
        return add(new Fixed(b.toByteArray(), text));
    }
}
