package dev.tether.bpf;

import static org.junit.jupiter.api.Assertions.*;

import dev.tether.bpf.BpfException.Kind;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Linux semantics of every opcode, with the executed-instruction count. */
class InterpreterTest {
    private static final ByteOrder BE = ByteOrder.BIG_ENDIAN;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final String IN = "0102030405060708fffefdfc80000000";
    private static final int[] RET_A = {0x16, 0, 0, 0};

    static int[] i(int code, int jt, int jf, int k) {
        return new int[] {code, jt, jf, k};
    }

    static int[] s(int code, int k) {
        return new int[] {code, 0, 0, k};
    }

    static Arguments c(String desc, ByteOrder order, long want, int executed, int[]... insns) {
        return Arguments.of(desc, order, (int) want, executed, Program.fromArrays(insns));
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                c("LD W ABS big-endian", BE, 0x01020304L, 2, s(0x20, 0), RET_A),
                c("LD W ABS little-endian", LE, 0x04030201L, 2, s(0x20, 0), RET_A),
                c("LD H ABS big-endian", BE, 0x0304, 2, s(0x28, 2), RET_A),
                c("LD H ABS little-endian", LE, 0x0403, 2, s(0x28, 2), RET_A),
                c("LD B ABS", LE, 0xfe, 2, s(0x30, 9), RET_A),
                c("LD W ABS unaligned", BE, 0x02030405L, 2, s(0x20, 1), RET_A),
                c("LD W ABS last word", BE, 0x80000000L, 2, s(0x20, 12), RET_A),
                c("LD W ABS out of range returns 0", BE, 0, 1, s(0x20, 13), s(0x06, 7)),
                c("LD W ABS huge offset returns 0", BE, 0, 1, s(0x20, -1), s(0x06, 7)),
                c("LD W IND", BE, 0x05060708L, 3, s(0x01, 2), s(0x40, 2), RET_A),
                c("LD H IND", BE, 0x0708, 3, s(0x01, 4), s(0x48, 2), RET_A),
                c("LD B IND", BE, 0x08, 3, s(0x01, 4), s(0x50, 3), RET_A),
                c("LD IND beyond the input returns 0", BE, 0, 2, s(0x01, -1), s(0x40, 0), s(0x06, 7)),
                c("LD IND offset wraps modulo 2^32", BE, 0x02030405L, 3, s(0x01, -1), s(0x40, 2), RET_A),
                c("LD W LEN", BE, 16, 2, s(0x80, 0), RET_A),
                c("LDX W LEN, TXA", BE, 16, 3, s(0x81, 0), s(0x87, 0), RET_A),
                c("LD IMM", BE, 0xdeadbeefL, 2, s(0x00, 0xdeadbeef), RET_A),
                c("LDX IMM, TXA", BE, 42, 3, s(0x01, 42), s(0x87, 0), RET_A),
                c("LDX MSH", BE, 4 * 0xe, 3, s(0xb1, 9), s(0x87, 0), RET_A),
                c("LDX MSH out of range returns 0", BE, 0, 1, s(0xb1, 16), s(0x06, 7)),
                c("ST, LD MEM", BE, 77, 4, s(0x00, 77), s(0x02, 15), s(0x60, 15), RET_A),
                c("STX, LDX MEM", BE, 78, 5, s(0x01, 78), s(0x03, 0), s(0x61, 0), s(0x87, 0), RET_A),
                c("scratch memory starts zeroed", BE, 0, 2, s(0x60, 3), RET_A),
                // TAX is X <- A and TXA is A <- X in Linux (gVisor's pkg/bpf/interpreter.go has them swapped).
                c("TAX copies A to X", BE, 5, 5, s(0x00, 5), s(0x07, 0), s(0x00, 0), s(0x87, 0), RET_A),
                c("TXA copies X to A", BE, 9, 3, s(0x01, 9), s(0x87, 0), RET_A),
                c("TAX does not change A", BE, 6, 4, s(0x00, 6), s(0x01, 1), s(0x07, 0), RET_A),
                c("ADD K wraps", BE, 1, 3, s(0x00, -1), s(0x04, 2), RET_A),
                c("SUB K wraps", BE, 0xffffffffL, 3, s(0x00, 1), s(0x14, 2), RET_A),
                c("MUL K", BE, 0xfffffffeL, 3, s(0x00, 0x7fffffff), s(0x24, 2), RET_A),
                c("DIV K unsigned", BE, 0x7fffffffL, 3, s(0x00, -1), s(0x34, 2), RET_A),
                c("MOD K unsigned", BE, 1, 3, s(0x00, -1), s(0x94, 2), RET_A),
                c("OR K", BE, 0xf0f, 3, s(0x00, 0xf00), s(0x44, 0xf), RET_A),
                c("AND K", BE, 0x0f, 3, s(0x00, 0xff), s(0x54, 0xf), RET_A),
                c("LSH K", BE, 0x80000000L, 3, s(0x00, 1), s(0x64, 31), RET_A),
                c("RSH K logical", BE, 1, 3, s(0x00, 0x80000000), s(0x74, 31), RET_A),
                c("XOR K", BE, 0xf0, 3, s(0x00, 0xff), s(0xa4, 0xf), RET_A),
                c("ADD X", BE, 12, 4, s(0x00, 5), s(0x01, 7), s(0x0c, 0), RET_A),
                c("SUB X", BE, 0xfffffffeL, 4, s(0x00, 5), s(0x01, 7), s(0x1c, 0), RET_A),
                c("MUL X", BE, 35, 4, s(0x00, 5), s(0x01, 7), s(0x2c, 0), RET_A),
                c("DIV X", BE, 3, 4, s(0x00, 22), s(0x01, 7), s(0x3c, 0), RET_A),
                c("DIV X by zero returns 0", BE, 0, 3, s(0x00, 22), s(0x01, 0), s(0x3c, 0), s(0x06, 7)),
                c("MOD X", BE, 1, 4, s(0x00, 22), s(0x01, 7), s(0x9c, 0), RET_A),
                c("MOD X by zero returns 0", BE, 0, 3, s(0x00, 22), s(0x01, 0), s(0x9c, 0), s(0x06, 7)),
                c("OR X", BE, 7, 4, s(0x00, 5), s(0x01, 2), s(0x4c, 0), RET_A),
                c("AND X", BE, 4, 4, s(0x00, 5), s(0x01, 6), s(0x5c, 0), RET_A),
                c("LSH X", BE, 20, 4, s(0x00, 5), s(0x01, 2), s(0x6c, 0), RET_A),
                c("LSH X uses the low 5 bits", BE, 10, 4, s(0x00, 5), s(0x01, 33), s(0x6c, 0), RET_A),
                c("RSH X", BE, 1, 4, s(0x00, 5), s(0x01, 2), s(0x7c, 0), RET_A),
                c("XOR X", BE, 3, 4, s(0x00, 5), s(0x01, 6), s(0xac, 0), RET_A),
                c("NEG", BE, 0xfffffffbL, 3, s(0x00, 5), s(0x84, 0), RET_A),
                c("JA", BE, 2, 2, s(0x05, 1), s(0x06, 1), s(0x06, 2)),
                c("JEQ K taken", BE, 2, 3, s(0x00, 5), i(0x15, 1, 0, 5), s(0x06, 1), s(0x06, 2)),
                c("JEQ K not taken", BE, 1, 3, s(0x00, 5), i(0x15, 1, 0, 6), s(0x06, 1), s(0x06, 2)),
                c("JGT K unsigned", BE, 2, 3, s(0x00, -1), i(0x25, 1, 0, 1), s(0x06, 1), s(0x06, 2)),
                c("JGT K equal is false", BE, 1, 3, s(0x00, 1), i(0x25, 1, 0, 1), s(0x06, 1), s(0x06, 2)),
                c("JGE K equal", BE, 2, 3, s(0x00, 1), i(0x35, 1, 0, 1), s(0x06, 1), s(0x06, 2)),
                c("JGE K unsigned", BE, 1, 3, s(0x00, 1), i(0x35, 1, 0, 0x80000000), s(0x06, 1), s(0x06, 2)),
                c("JSET K", BE, 2, 3, s(0x00, 6), i(0x45, 1, 0, 2), s(0x06, 1), s(0x06, 2)),
                c("JSET K none", BE, 1, 3, s(0x00, 6), i(0x45, 1, 0, 1), s(0x06, 1), s(0x06, 2)),
                c("jf offset", BE, 3, 3, s(0x00, 6), i(0x15, 0, 2, 5), s(0x06, 1), s(0x06, 2), s(0x06, 3)),
                c("JEQ X", BE, 2, 4, s(0x00, 6), s(0x01, 6), i(0x1d, 1, 0, 0), s(0x06, 1), s(0x06, 2)),
                c("JGT X unsigned", BE, 2, 4, s(0x00, -1), s(0x01, 6), i(0x2d, 1, 0, 0), s(0x06, 1), s(0x06, 2)),
                c("JGE X", BE, 1, 4, s(0x00, 5), s(0x01, 6), i(0x3d, 1, 0, 0), s(0x06, 1), s(0x06, 2)),
                c("JSET X", BE, 2, 4, s(0x00, 5), s(0x01, 4), i(0x4d, 1, 0, 0), s(0x06, 1), s(0x06, 2)),
                c("RET K", BE, 0x7fff0000L, 1, s(0x06, 0x7fff0000)),
                c("RET A", BE, 0, 1, RET_A));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void runsWithLinuxSemantics(String desc, ByteOrder order, int want, int executed, Program p) {
        Interpreter.Result r = Interpreter.run(p, HexFormat.of().parseHex(IN), order);
        assertEquals(want, r.value(), () -> desc + ": got 0x" + Integer.toHexString(r.value()));
        assertEquals(executed, r.executed(), desc);
        Interpreter.Trace t = Interpreter.trace(p, HexFormat.of().parseHex(IN), order);
        assertEquals(r, t.result());
        assertEquals(executed, t.pcs().length);
        assertEquals(0, t.pcs()[0]);
    }

    @Test
    void traceListsTheExecutedPcs() {
        Program p = Program.fromArrays(s(0x00, 5), i(0x15, 2, 0, 5), s(0x06, 1), s(0x06, 2), s(0x06, 3));
        assertArrayEquals(new int[] {0, 1, 4}, Interpreter.trace(p, new byte[0], BE).pcs());
    }

    @Test
    void runtimeErrorsNameThePc() {
        BpfException fell = assertThrows(BpfException.class,
                () -> Interpreter.run(Program.fromArrays(s(0x00, 1), s(0x04, 1)), new byte[0], BE));
        assertEquals(Kind.INVALID_END, fell.kind());
        assertEquals(1, fell.pc());
        BpfException ja = assertThrows(BpfException.class,
                () -> Interpreter.run(Program.fromArrays(s(0x05, 5), s(0x06, 0)), new byte[0], BE));
        assertEquals(Kind.INVALID_JUMP, ja.kind());
        assertEquals(0, ja.pc());
        BpfException jcc = assertThrows(BpfException.class,
                () -> Interpreter.run(Program.fromArrays(s(0x00, 0), i(0x15, 0, 9, 1), s(0x06, 0)), new byte[0], BE));
        assertEquals(Kind.INVALID_JUMP, jcc.kind());
        assertEquals(1, jcc.pc());
        BpfException op = assertThrows(BpfException.class,
                () -> Interpreter.run(Program.fromArrays(s(0x00, 0), s(0xff, 0), s(0x06, 0)), new byte[0], BE));
        assertEquals(Kind.INVALID_OPCODE, op.kind());
        assertEquals(1, op.pc());
        BpfException mem = assertThrows(BpfException.class,
                () -> Interpreter.run(Program.fromArrays(s(0x02, 16), s(0x06, 0)), new byte[0], BE));
        assertEquals(Kind.INVALID_REGISTER, mem.kind());
        assertEquals(0, mem.pc());
    }

    @Test
    void seccompFilterFromTheKernelDocumentation() {
        // The shape of Documentation/userspace-api/seccomp_filter.rst's example (and gVisor's
        // TestSimpleFilter): allow only on x86-64 and only syscall 39, else kill.
        Program p = Program.fromArrays(
                s(0x20, 4), i(0x15, 1, 0, 0xc000003e), s(0x06, 0),
                s(0x20, 0), i(0x15, 0, 1, 39), s(0x06, 0x7fff0000), s(0x06, 0x00050001));
        assertEquals(new Interpreter.Result(0x7fff0000, 5), Interpreter.run(p, seccompData(39, 0xc000003e), LE));
        assertEquals(new Interpreter.Result(0x00050001, 5), Interpreter.run(p, seccompData(40, 0xc000003e), LE));
        assertEquals(new Interpreter.Result(0, 3), Interpreter.run(p, seccompData(39, 0x40000003), LE));
    }

    static byte[] seccompData(int nr, int arch) {
        return java.nio.ByteBuffer.allocate(64).order(LE).putInt(nr).putInt(arch).array();
    }
}
