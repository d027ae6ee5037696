package dev.tether.bpf;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DisassemblerTest {
    @Test
    void listingHasAbsoluteTargets() {
        // The listing example of gVisor's decoder test (pkg/bpf/decoder_test.go).
        Program p = Program.fromArrays(
                new int[] {0x20, 0, 0, 10},
                new int[] {0x05, 0, 0, 10},
                new int[] {0x15, 2, 5, 10});
        assertEquals("0: A <- P[10:4]\n1: pc += 10 [12]\n2: pc += (A == 10) ? 2 [5] : 5 [8]\n",
                Disassembler.disassemble(p));
    }

    @Test
    void annotatorCommentsLinesItKnows() {
        Program p = Program.fromArrays(
                new int[] {0x20, 0, 0, 10},
                new int[] {0x15, 0, 1, 300},
                new int[] {0x06, 0, 0, 1},
                new int[] {0x06, 0, 0, 0});
        List<Integer> asked = new ArrayList<>();
        String text = Disassembler.disassemble(p, (pc, insn) -> {
            asked.add(pc);
            return insn instanceof Instruction.ReturnConstant r ? "returns " + r.k() : null;
        });
        assertEquals(List.of(0, 1, 2, 3), asked, "asked once per instruction, in order");
        assertEquals("0: A <- P[10:4]\n1: pc += (A == 0x12c) ? 0 [2] : 1 [3]\n2: ret 1  ; returns 1\n"
                + "3: ret 0  ; returns 0\n", text);
        assertEquals(Disassembler.disassemble(p), Disassembler.disassemble(p, (pc, insn) -> null),
                "no comment: the plain listing");
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
