package dev.tether.bpf;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProgramTest {
    private static final Program P = Program.of(
            SockFilter.stmt(0x20, 4),
            SockFilter.jump(0x15, 0xc000003e, 1, 0),
            SockFilter.stmt(0x06, 0),
            SockFilter.stmt(0x06, 0x7fff0000));

    @Test
    void bytesAreStructSockFilterInTheGivenOrder() {
        byte[] le = P.toBytes(ByteOrder.LITTLE_ENDIAN);
        assertEquals(32, le.length);
        // insn 1: code 0x0015 (LE), jt 1, jf 0, k 0xc000003e (LE)
        assertArrayEquals(new byte[] {0x15, 0x00, 0x01, 0x00, 0x3e, 0x00, 0x00, (byte) 0xc0},
                java.util.Arrays.copyOfRange(le, 8, 16));
        byte[] be = P.toBytes(ByteOrder.BIG_ENDIAN);
        assertArrayEquals(new byte[] {0x00, 0x15, 0x01, 0x00, (byte) 0xc0, 0x00, 0x00, 0x3e},
                java.util.Arrays.copyOfRange(be, 8, 16));
        assertEquals(P, Program.fromBytes(le, ByteOrder.LITTLE_ENDIAN));
        assertEquals(P, Program.fromBytes(be, ByteOrder.BIG_ENDIAN));
        assertNotEquals(P, Program.fromBytes(le, ByteOrder.BIG_ENDIAN));
    }

    @Test
    void fromBytesRejectsPartialInstructions() {
        BpfException e = assertThrows(BpfException.class, () -> Program.fromBytes(new byte[12], ByteOrder.LITTLE_ENDIAN));
        assertEquals(BpfException.Kind.ENCODING, e.kind());
        assertTrue(e.getMessage().contains("12 bytes"), e.getMessage());
    }

    @Test
    void arraysRoundTrip() {
        List<int[]> a = P.toArrays();
        assertArrayEquals(new int[] {0x15, 1, 0, 0xc000003e}, a.get(1));
        assertEquals(P, Program.fromArrays(a));
        BpfException e = assertThrows(BpfException.class, () -> Program.fromArrays(new int[] {6, 0, 0, 0}, new int[] {0x15, 300, 0, 0}));
        assertEquals(1, e.pc());
        assertTrue(e.getMessage().contains("jt 300"), e.getMessage());
        assertEquals(0, assertThrows(BpfException.class, () -> Program.fromArrays(new int[] {6, 0, 0})).pc());
    }

    @Test
    void accessorsEqualityAndInstructions() {
        assertEquals(4, P.size());
        assertEquals(SockFilter.stmt(0x06, 0x7fff0000), P.get(3));
        assertEquals(P.sockFilters(), Program.of(P.sockFilters()).sockFilters());
        assertEquals(P.hashCode(), Program.fromArrays(P.toArrays()).hashCode());
        assertNotEquals(P, Program.of(SockFilter.stmt(0x06, 0)));
        assertEquals(new Instruction.JumpIf(JumpCondition.JEQ, 0xc000003e, 1, 0), P.instructions().get(1));
        assertEquals(P, Program.assemble(P.instructions()));
        BpfException e = assertThrows(BpfException.class, () -> Program.of(SockFilter.stmt(0x06, 0), SockFilter.stmt(0xff, 0)).instructions());
        assertEquals(1, e.pc());
        assertEquals(BpfException.Kind.INVALID_OPCODE, e.kind());
        assertTrue(Program.of(SockFilter.stmt(0xff, 0)).toString().contains("invalid"));
    }
}
