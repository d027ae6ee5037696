package dev.tether.arch.amd64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.arch.amd64.X86Assembler.Cond;
import dev.tether.arch.amd64.X86Assembler.Reg;
import dev.tether.arch.testing.GnuBinutils;
import dev.tether.spi.support.Assembler.Label;
import dev.tether.spi.support.Assembler.Line;
import dev.tether.spi.support.Assembler.Program;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Every encoder method against GNU as (binutils), plus label and jump-size behaviour. */
class X86AssemblerTest {
    private static final long[] IMM64 = {0, 1, -1, 9, 127, 128, -128, -129, 0x1012, Integer.MAX_VALUE,
        Integer.MIN_VALUE, 0x80000000L, 0xffffffffL, 0x7fffffff0000L, Long.MAX_VALUE, Long.MIN_VALUE};
    private static final int[] IMM32 = {0, 1, -1, 64, 127, 128, -128, -129, 1000, 0x1012, Integer.MAX_VALUE,
        Integer.MIN_VALUE};
    private static final int[] DISP = {0, 8, -8, 72, 127, 128, -128, -129, 0x7fffffff, Integer.MIN_VALUE};

    static void assertSameAsGnu(String name, Program p) {
        GnuBinutils.assertSameAsGnu(GnuBinutils.X86_64, name, p);
    }

    @Test
    void everyFormWithEveryRegisterMatchesGnuAs() {
        X86Assembler a = new X86Assembler();
        for (Reg r : Reg.values()) {
            for (long imm : IMM64) {
                a.movImm(r, imm);
            }
            for (Reg s : Reg.values()) {
                a.movRegReg(r, s).addRegReg(r, s).subRegReg(r, s).cmpRegReg(r, s).testRegReg(r, s);
                for (int d : DISP) {
                    a.movLoad(r, s, d).movStore(s, d, r).lea(r, s, d);
                }
            }
            for (int imm : IMM32) {
                a.addImm(r, imm).subImm(r, imm).cmpImm(r, imm);
            }
            for (int d : new int[] {0, 8, -8, 0x28, 0x7fffffff}) {
                a.movFsLoad(r, d);
            }
            a.negReg(r).pushReg(r).popReg(r).jmpReg(r);
        }
        a.syscall().int3().hlt().ret().nop();
        Program p = a.assemble();
        assertTrue(p.lines().size() > 5000, "table covers " + p.lines().size() + " instructions");
        assertSameAsGnu("x86-forms", p);
    }

    @Test
    void seededRandomInstructionsMatchGnuAs() {
        long seed = 0x7e7e4e12L;
        SplittableRandom rnd = new SplittableRandom(seed);
        Reg[] regs = Reg.values();
        X86Assembler a = new X86Assembler();
        for (int i = 0; i < 2000; i++) {
            Reg r = regs[rnd.nextInt(regs.length)];
            Reg s = regs[rnd.nextInt(regs.length)];
            int disp = rnd.nextBoolean() ? rnd.nextInt(-300, 300) : rnd.nextInt();
            switch (rnd.nextInt(8)) {
                case 0: a.movImm(r, rnd.nextBoolean() ? rnd.nextInt() : rnd.nextLong()); break;
                case 1: a.movLoad(r, s, disp); break;
                case 2: a.lea(r, s, disp); break;
                case 3: a.movStore(s, disp, r); break;
                case 4: a.cmpImm(r, rnd.nextBoolean() ? rnd.nextInt(-200, 200) : rnd.nextInt()); break;
                case 5: a.addImm(r, rnd.nextInt()); break;
                case 6: a.movFsLoad(r, disp); break;
                default: a.cmpRegReg(r, s); break;
            }
        }
        assertSameAsGnu("x86-random-" + Long.toHexString(seed), a.assemble());
    }

    @Test
    void jumpsAreShortUpTo127BytesAndNearBeyondAsGnuAsChooses() {
        int[] distances = {0, 1, 120, 125, 126, 127, 128, 129, 300};
        X86Assembler a = new X86Assembler();
        int n = 0;
        for (int d : distances) {
            for (Cond c : new Cond[] {null, Cond.NE, Cond.L, Cond.LE, Cond.E, Cond.G}) {
                Label fwd = a.label("f" + n);
                Label back = a.label("b" + n);
                n++;
                if (c == null) {
                    a.jmp(fwd);
                } else {
                    a.jcc(c, fwd);
                }
                pad(a, d).bind(fwd);
                a.bind(back);
                pad(a, d);
                if (c == null) {
                    a.jmp(back);
                } else {
                    a.jcc(c, back);
                }
            }
        }
        Program p = a.assemble();
        assertSameAsGnu("x86-jumps", p);

        // Our own expectations, independent of gas: rel8 holds -128..127 from the end of the jump.
        List<Line> jumps = p.lines().stream().filter(l -> l.text().startsWith("j")).collect(Collectors.toList());
        int i = 0;
        for (int d : distances) {
            for (Cond c : new Cond[] {null, Cond.NE, Cond.L, Cond.LE, Cond.E, Cond.G}) {
                int forward = jumps.get(i++).bytes().length;
                int backward = jumps.get(i++).bytes().length;
                int near = c == null ? 5 : 6;
                assertEquals(d <= 127 ? 2 : near, forward, "forward over " + d + " bytes, " + c);
                assertEquals(d + 2 <= 128 ? 2 : near, backward, "backward over " + d + " bytes, " + c);
            }
        }
    }

    @Test
    void growingOneJumpCanPushAnotherOutOfRange() {
        // j1 spans j2 plus 124 bytes: short while j2 is short, near once j2 must grow.
        X86Assembler a = new X86Assembler();
        Label l1 = a.label("l1");
        Label l2 = a.label("l2");
        a.jcc(Cond.E, l1).jmp(l2);
        pad(a, 124).bind(l1);
        pad(a, 10).bind(l2);
        Program p = a.assemble();
        assertEquals(6, p.lines().get(0).bytes().length, "j1 near");
        assertEquals(5, p.lines().get(1).bytes().length, "j2 near");
        assertSameAsGnu("x86-cascade", p);
    }

    @Test
    void listingAndLabels() {
        X86Assembler a = new X86Assembler();
        Label top = a.label("top");
        a.bind(top).movImm(Reg.RAX, 39).syscall().jmp(top);
        Program p = a.assemble();
        assertEquals(0, p.offsetOf("top"));
        assertEquals(List.of("movq $39,%rax", "syscall", "jmp top"),
                p.lines().stream().map(Line::text).collect(Collectors.toList()));
        String listing = p.listing();
        assertTrue(listing.startsWith("top:\n"), listing);
        assertTrue(listing.contains("0007: 0f 05"), listing);
        assertTrue(listing.contains("0009: eb f5"), listing);
        assertThrows(IllegalArgumentException.class, () -> p.offsetOf("nope"));
    }

    @Test
    void badLabelsAreClearErrors() {
        X86Assembler a = new X86Assembler();
        Label l = a.label("x");
        IllegalArgumentException dup = assertThrows(IllegalArgumentException.class, () -> a.label("x"));
        assertTrue(dup.getMessage().contains("x"));
        assertThrows(IllegalArgumentException.class, () -> a.label("1abc"));
        assertThrows(IllegalArgumentException.class, () -> a.label("a b"));
        a.jmp(l);
        IllegalStateException unbound = assertThrows(IllegalStateException.class, a::assemble);
        assertTrue(unbound.getMessage().contains("jmp x"), unbound.getMessage());
        a.bind(l);
        assertThrows(IllegalArgumentException.class, () -> a.bind(l));
        Label foreign = new X86Assembler().label("y");
        assertThrows(IllegalArgumentException.class, () -> a.bind(foreign));
    }

    private static X86Assembler pad(X86Assembler a, int n) {
        for (int i = 0; i < n; i++) {
            a.nop();
        }
        return a;
    }
}
