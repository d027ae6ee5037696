package dev.tether.arch.arm64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.arch.arm64.A64Assembler.Reg;
import dev.tether.arch.testing.GnuBinutils;
import dev.tether.spi.support.Assembler.Program;
import java.util.LinkedHashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The encoder's instructions for the trap handler (AND immediate, STLR, LDAR, DMB ISH, YIELD) against GNU as. */
class A64TrapInstructionsTest {

    /**
     * Every 64-bit bitmask immediate, built from its definition (an element of 2..64 bits holding a run of
     * 1..size-1 ones, rotated, then repeated), not from the encoder: 5334 values.
     */
    static Set<Long> allBitmaskImmediates() {
        Set<Long> out = new LinkedHashSet<>();
        for (int size = 2; size <= 64; size *= 2) {
            for (int ones = 1; ones < size; ones++) {
                for (int rot = 0; rot < size; rot++) {
                    boolean[] elem = new boolean[size];
                    for (int i = 0; i < ones; i++) {
                        elem[(i + size - rot) % size] = true; // bit i of the run, rotated right by rot
                    }
                    long v = 0;
                    for (int bit = 0; bit < 64; bit++) {
                        if (elem[bit % size]) {
                            v |= 1L << bit;
                        }
                    }
                    out.add(v);
                }
            }
        }
        return out;
    }

    @Test
    void everyBitmaskImmediateMatchesGnuAs() {
        Set<Long> values = allBitmaskImmediates();
        assertEquals(5334, values.size(), "the A64 logical immediates (64-bit)");
        A64Assembler a = new A64Assembler();
        Reg[] regs = {Reg.X0, Reg.X9, Reg.X30};
        int i = 0;
        for (long v : values) {
            a.andImm(regs[i % 3], regs[(i + 1) % 3], v);
            i++;
        }
        a.andImm(Reg.SP, Reg.X1, -0x10000L).andImm(Reg.X2, Reg.XZR, 0xff);
        GnuBinutils.assertSameAsGnu(GnuBinutils.AARCH64, "a64-and-imm", a.assemble());
    }

    @Test
    void valuesThatAreNoBitmaskImmediateAreRejectedByName() {
        for (long v : new long[] {0, -1, 0b101, 0x1234, 0x00ff00ff00ff00f7L, 0x0f0f0f0f0f0f0f0eL}) {
            A64Assembler a = new A64Assembler();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.andImm(Reg.X0, Reg.X1, v));
            assertTrue(e.getMessage().contains("0x" + Long.toHexString(v)), e.getMessage());
            assertEquals(0, a.assemble().code().length);
        }
        assertThrows(IllegalArgumentException.class, () -> new A64Assembler().andImm(Reg.XZR, Reg.X1, 1));
        assertThrows(IllegalArgumentException.class, () -> new A64Assembler().andImm(Reg.X0, Reg.SP, 1));
    }

    @Test
    void theFieldsOfTheRegionMaskAreTheArmArmsExample() {
        // sp & ~0xffff: a 64-bit element (N=1) of 48 ones (imms=47) rotated right by 48 (immr=48)
        assertEquals(1 << 12 | 48 << 6 | 47, A64LogicalImmediate.encode(-0x10000L));
        // 0x5555...: 2-bit elements "01": imms = 0b111100 | (1 - 1), immr = 0
        assertEquals(0b111100, A64LogicalImmediate.encode(0x5555555555555555L));
    }

    @Test
    void acquireReleaseBarrierAndHintMatchGnuAs() {
        A64Assembler a = new A64Assembler();
        for (Reg t : Reg.values()) {
            if (t == Reg.SP) {
                continue;
            }
            for (Reg n : Reg.values()) {
                if (n != Reg.XZR) {
                    a.stlr(t, n).ldar(t, n);
                }
            }
        }
        a.dmbIsh().yield();
        Program p = a.assemble();
        GnuBinutils.assertSameAsGnu(GnuBinutils.AARCH64, "a64-acquire-release", p);
        assertEquals(0xd5033bbf, A64Assembler.word(p.lines().get(p.lines().size() - 2)));
        assertThrows(IllegalArgumentException.class, () -> new A64Assembler().stlr(Reg.SP, Reg.X0));
        assertThrows(IllegalArgumentException.class, () -> new A64Assembler().ldar(Reg.X0, Reg.XZR));
    }

    @Test
    void theThreadPointerMovesMatchGnuAs() {
        A64Assembler a = new A64Assembler();
        for (Reg t : Reg.values()) {
            if (t != Reg.SP) {
                a.mrsTpidrEl0(t).msrTpidrEl0(t);
            }
        }
        Program p = a.assemble();
        GnuBinutils.assertSameAsGnu(GnuBinutils.AARCH64, "a64-tpidr", p);
        assertEquals(0xd53bd040, A64Assembler.word(p.lines().get(0)), "mrs x0, tpidr_el0");
        assertEquals(0xd51bd040, A64Assembler.word(p.lines().get(1)), "msr tpidr_el0, x0");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new A64Assembler().mrsTpidrEl0(Reg.SP));
        assertTrue(e.getMessage().contains("mrs"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new A64Assembler().msrTpidrEl0(Reg.SP));
    }
}
