package dev.tether.arch.arm64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.arch.arm64.A64Assembler.Cond;
import dev.tether.arch.arm64.A64Assembler.Reg;
import dev.tether.arch.testing.GnuBinutils;
import dev.tether.spi.support.Assembler.Label;
import dev.tether.spi.support.Assembler.Line;
import dev.tether.spi.support.Assembler.Program;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Every encoder method against GNU as for aarch64 (binutils-aarch64-linux-gnu), plus branches. */
class A64AssemblerTest {
    private static final Set<Reg> GENERAL = EnumSet.range(Reg.X0, Reg.X30);
    private static final int[] IMM12 = {0, 1, 8, 64, 72, 4095, 4096, 8192, 0xfff000};
    private static final int[] IMM16 = {0, 1, 3, 167, 0x1012, 0x7fff, 0x8000, 0xffff};

    static void assertSameAsGnu(String name, Program p) {
        GnuBinutils.assertSameAsGnu(GnuBinutils.AARCH64, name, p);
    }

    @Test
    void everyFormWithEveryRegisterMatchesGnuAs() {
        A64Assembler a = new A64Assembler();
        for (Reg r : Reg.values()) {
            boolean sp = r == Reg.SP;
            boolean zr = r == Reg.XZR;
            if (!sp) {
                for (int shift : new int[] {0, 16, 32, 48}) {
                    for (int imm : IMM16) {
                        a.movz(r, imm, shift).movk(r, imm, shift);
                    }
                }
                for (long v : new long[] {0, 1, 0xffff, 0x10000, 0x12345678L, 0xffffffff0000L, -1L, Long.MIN_VALUE}) {
                    a.movImm(r, v);
                }
                a.mrsTpidrEl0(r).br(r);
                for (Reg m : Reg.values()) {
                    if (m != Reg.SP) {
                        a.movReg(r, m).neg(r, m).cmpReg(r, m).addReg(r, r, m).addReg(r, m, r);
                    }
                }
                for (Reg base : Reg.values()) {
                    if (base != Reg.XZR) {
                        for (int off : new int[] {0, 8, 48, 88, 4096, 32760}) {
                            a.ldr(r, base, off).str(r, base, off);
                        }
                    }
                }
            }
            if (!zr) {
                for (int imm : IMM12) {
                    a.cmpImm(r, imm).cmnImm(r, imm);
                    for (Reg n : new Reg[] {Reg.X0, Reg.X19, Reg.SP, r}) {
                        a.addImm(r, n, imm).subImm(r, n, imm);
                    }
                }
            }
        }
        for (Reg t1 : new Reg[] {Reg.X0, Reg.X19, Reg.X29, Reg.XZR}) {
            for (Reg t2 : new Reg[] {Reg.X1, Reg.X20, Reg.X30}) {
                for (int imm : new int[] {-512, -16, 0, 16, 504}) {
                    a.stpPre(t1, t2, Reg.SP, imm).ldpPost(t1, t2, Reg.SP, imm).stpPre(t1, t2, Reg.X5, imm);
                }
            }
        }
        for (int imm : IMM16) {
            a.svc(imm).brk(imm).hlt(imm);
        }
        a.ret().nop();
        Program p = a.assemble();
        assertTrue(p.lines().size() > 5000, "table covers " + p.lines().size() + " instructions");
        assertSameAsGnu("a64-forms", p);
    }

    @Test
    void seededRandomInstructionsMatchGnuAs() {
        long seed = 0xa64a64L;
        SplittableRandom rnd = new SplittableRandom(seed);
        Reg[] gen = GENERAL.toArray(new Reg[0]);
        A64Assembler a = new A64Assembler();
        for (int i = 0; i < 2000; i++) {
            Reg r = gen[rnd.nextInt(gen.length)];
            Reg s = gen[rnd.nextInt(gen.length)];
            switch (rnd.nextInt(7)) {
                case 0: a.movImm(r, rnd.nextLong()); break;
                case 1: a.ldr(r, rnd.nextBoolean() ? s : Reg.SP, 8 * rnd.nextInt(4096)); break;
                case 2: a.str(r, s, 8 * rnd.nextInt(4096)); break;
                case 3: a.addImm(r, s, rnd.nextInt(4096)); break;
                case 4: a.cmpImm(r, rnd.nextBoolean() ? rnd.nextInt(4096) : rnd.nextInt(4096) << 12); break;
                case 5: a.addReg(r, s, gen[rnd.nextInt(gen.length)]); break;
                default: a.cmnImm(r, rnd.nextInt(4096)); break;
            }
        }
        assertSameAsGnu("a64-random-" + Long.toHexString(seed), a.assemble());
    }

    @Test
    void branchesForwardAndBackwardMatchGnuAs() {
        A64Assembler a = new A64Assembler();
        int n = 0;
        for (int d : new int[] {0, 1, 2, 100, 1000}) {
            Label fwd = a.label("f" + n);
            Label back = a.label("g" + n);
            n++;
            a.b(fwd);
            for (Cond c : Cond.values()) {
                a.bcond(c, fwd);
            }
            a.cbz(Reg.X3, fwd).cbnz(Reg.X20, fwd).cbz(Reg.XZR, fwd);
            pad(a, d).bind(fwd).bind(back);
            pad(a, d);
            a.b(back).bcond(Cond.NE, back).cbnz(Reg.X1, back);
        }
        Program p = a.assemble();
        assertSameAsGnu("a64-branches", p);
        // A branch to itself encodes offset 0; one to the next instruction offset 1.
        A64Assembler self = new A64Assembler();
        Label here = self.label("here");
        Label next = self.label("next");
        self.bind(here).b(here).b(next).bind(next).bcond(Cond.EQ, here);
        Program q = self.assemble();
        assertEquals(0x14000000, A64Assembler.word(q.lines().get(0)));
        assertEquals(0x14000001, A64Assembler.word(q.lines().get(1)));
        assertEquals(0x54000000 | (0x7fffe << 5), A64Assembler.word(q.lines().get(2)), "b.eq -8 bytes");
    }

    @Test
    void conditionalBranchesBeyondOneMebibyteAreRejected() {
        A64Assembler a = new A64Assembler();
        Label far = a.label("far");
        a.bcond(Cond.NE, far);
        pad(a, (1 << 18) - 1).bind(far); // offset exactly 2^18 words = 1 MiB: one too far
        IllegalStateException e = assertThrows(IllegalStateException.class, a::assemble);
        assertTrue(e.getMessage().contains("b.ne far") && e.getMessage().contains("out of range"), e.getMessage());

        A64Assembler ok = new A64Assembler();
        Label edge = ok.label("edge");
        ok.bcond(Cond.NE, edge);
        pad(ok, (1 << 18) - 2).bind(edge); // 2^18 - 1 words: the largest forward offset
        assertEquals(0x54000001 | (0x3ffff << 5), A64Assembler.word(ok.assemble().lines().get(0)));
    }

    @Test
    void operandsOutOfRangeAreClearErrors() {
        A64Assembler a = new A64Assembler();
        assertThrows(IllegalArgumentException.class, () -> a.movz(Reg.X0, 0x10000));
        assertThrows(IllegalArgumentException.class, () -> a.movz(Reg.X0, 1, 8));
        assertThrows(IllegalArgumentException.class, () -> a.movz(Reg.SP, 1));
        assertThrows(IllegalArgumentException.class, () -> a.addImm(Reg.X0, Reg.X1, 4097));
        assertThrows(IllegalArgumentException.class, () -> a.addImm(Reg.X0, Reg.X1, -1));
        assertThrows(IllegalArgumentException.class, () -> a.addImm(Reg.XZR, Reg.X1, 1));
        assertThrows(IllegalArgumentException.class, () -> a.cmpImm(Reg.X0, 0x1000000));
        assertThrows(IllegalArgumentException.class, () -> a.ldr(Reg.X0, Reg.X1, 4));
        assertThrows(IllegalArgumentException.class, () -> a.ldr(Reg.X0, Reg.X1, 32768));
        assertThrows(IllegalArgumentException.class, () -> a.ldr(Reg.X0, Reg.XZR, 0));
        assertThrows(IllegalArgumentException.class, () -> a.stpPre(Reg.X0, Reg.X1, Reg.SP, 512));
        assertThrows(IllegalArgumentException.class, () -> a.movReg(Reg.SP, Reg.X0));
        assertThrows(IllegalArgumentException.class, () -> a.br(Reg.SP));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.svc(-1));
        assertTrue(e.getMessage().contains("svc"), e.getMessage());
        assertEquals(0, a.assemble().code().length, "rejected instructions are not emitted");
    }

    @Test
    void listingAndLabels() {
        A64Assembler a = new A64Assembler();
        Label top = a.label("top");
        a.bind(top).movz(Reg.X8, 172).svc(0).b(top);
        Program p = a.assemble();
        assertEquals(List.of("movz x8, #172", "svc #0", "b top"), p.lines().stream().map(Line::text).collect(Collectors.toList()));
        assertTrue(p.listing().startsWith("top:\n"), p.listing());
        assertTrue(p.listing().contains("0004: d4000001  svc #0"), p.listing());
        assertEquals(0x88, p.code()[0] & 0xff, "little-endian words: d2801588 starts with 88");
        assertThrows(IllegalArgumentException.class, () -> a.label("top"));
        assertThrows(IllegalArgumentException.class, () -> a.bind(top));
        A64Assembler b = new A64Assembler();
        b.b(b.label("nowhere"));
        assertTrue(assertThrows(IllegalStateException.class, b::assemble).getMessage().contains("nowhere"));
    }

    private static A64Assembler pad(A64Assembler a, int n) {
        for (int i = 0; i < n; i++) {
            a.nop();
        }
        return a;
    }
}
