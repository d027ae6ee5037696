package dev.tether.bpf;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class DisassemblerTest {
    @Test
    void listingHasAbsoluteTargets() {
        // The listing example of gVisor's decoder test (spec §7.13).
        Program p = Program.fromArrays(
                new int[] {0x20, 0, 0, 10},
                new int[] {0x05, 0, 0, 10},
                new int[] {0x15, 2, 5, 10});
        assertEquals("0: A <- P[10:4]\n1: pc += 10 [12]\n2: pc += (A == 10) ? 2 [5] : 5 [8]\n",
                Disassembler.disassemble(p));
    }

    @Test
    void seccompListingIsAnnotated() {
        Program p = Program.fromArrays(
                new int[] {0x20, 0, 0, 4},
                new int[] {0x15, 1, 0, 0xc000003e},
                new int[] {0x06, 0, 0, 0},
                new int[] {0x20, 0, 0, 0},
                new int[] {0x15, 0, 3, 62},
                new int[] {0x20, 0, 0, 0x18},
                new int[] {0x15, 0, 1, 19},
                new int[] {0x06, 0, 0, 0x7fff0000},
                new int[] {0x20, 0, 0, 0x0c},
                new int[] {0x45, 0, 1, 0x80000000},
                new int[] {0x06, 0, 0, 0x00050001},
                new int[] {0x06, 0, 0, 0x80000000});
        String text = Disassembler.disassembleSeccomp(p, nr -> nr == 62 ? "kill" : null);
        String[] lines = text.split("\n");
        assertEquals(12, lines.length);
        assertEquals("0: A <- P[4:4]  ; arch", lines[0]);
        assertEquals("1: pc += (A == 0xc000003e) ? 1 [3] : 0 [2]  ; AUDIT_ARCH_X86_64", lines[1]);
        assertEquals("2: ret 0  ; KILL_THREAD", lines[2]);
        assertEquals("3: A <- P[0:4]  ; nr", lines[3]);
        assertEquals("4: pc += (A == 62) ? 0 [5] : 3 [8]  ; kill", lines[4]);
        assertEquals("5: A <- P[24:4]  ; arg1.lo", lines[5]);
        assertEquals("6: pc += (A == 19) ? 0 [7] : 1 [8]", lines[6], "19 is compared with arg1, not nr");
        assertEquals("7: ret 0x7fff0000  ; ALLOW", lines[7]);
        assertEquals("8: A <- P[12:4]  ; ip.hi", lines[8], "A is unknown here (two paths), but the load names its field");
        assertEquals("10: ret 0x50001  ; ERRNO(1)", lines[10]);
        assertEquals("11: ret 0x80000000  ; KILL_PROCESS", lines[11]);
    }

    @Test
    void rangeBoundsOnTheSyscallNumberNameTheFirstNumberAbove() {
        Program p = Program.fromArrays(
                new int[] {0x20, 0, 0, 0},
                new int[] {0x35, 0, 1, 62},        // jge 62
                new int[] {0x25, 1, 0, 61},        // jgt 61
                new int[] {0x25, 0, 0, 0xffffffff}, // jgt -1: nothing is above
                new int[] {0x35, 0, 0, 63},        // jge 63: no name for 63
                new int[] {0x06, 0, 0, 0});
        String[] lines = Disassembler.disassembleSeccomp(p, nr -> nr == 62 ? "kill" : null).split("\n");
        assertEquals("1: pc += (A >= 62) ? 0 [2] : 1 [3]  ; from kill", lines[1]);
        assertEquals("2: pc += (A > 61) ? 1 [4] : 0 [3]  ; from kill", lines[2]);
        assertFalse(lines[3].contains(";"), lines[3]);
        assertFalse(lines[4].contains(";"), lines[4]);
    }

    @Test
    void invalidOpcodesAreErrorsWithPc() {
        Program p = Program.fromArrays(new int[] {0x06, 0, 0, 0}, new int[] {0xff, 0, 0, 0});
        BpfException e = assertThrows(BpfException.class, () -> Disassembler.disassemble(p));
        assertEquals(1, e.pc());
        assertEquals(BpfException.Kind.INVALID_OPCODE, e.kind());
        assertTrue(p.toString().contains("1: invalid {0xff, 0, 0, 0x00000000}"), p.toString());
    }
}
