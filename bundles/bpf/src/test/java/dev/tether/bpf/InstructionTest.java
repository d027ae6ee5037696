package dev.tether.bpf;

import static org.junit.jupiter.api.Assertions.*;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Every opcode: typed form, raw encoding (numbers from filter.h/bpf_common.h), decoder text. */
class InstructionTest {

    static Stream<Arguments> opcodes() {
        return Stream.of(
                // typed instruction, code, jt, jf, k, gVisor decoder text (pkg/bpf/decoder.go)
                Arguments.of(new Instruction.LoadAbsolute(4, 10), 0x20, 0, 0, 10, "A <- P[10:4]"),
                Arguments.of(new Instruction.LoadAbsolute(2, 10), 0x28, 0, 0, 10, "A <- P[10:2]"),
                Arguments.of(new Instruction.LoadAbsolute(1, 10), 0x30, 0, 0, 10, "A <- P[10:1]"),
                Arguments.of(new Instruction.LoadIndirect(4, 10), 0x40, 0, 0, 10, "A <- P[X+10:4]"),
                Arguments.of(new Instruction.LoadIndirect(2, 10), 0x48, 0, 0, 10, "A <- P[X+10:2]"),
                Arguments.of(new Instruction.LoadIndirect(1, 10), 0x50, 0, 0, 10, "A <- P[X+10:1]"),
                Arguments.of(new Instruction.LoadConstant(Register.A, 10), 0x00, 0, 0, 10, "A <- 10"),
                Arguments.of(new Instruction.LoadConstant(Register.X, 10), 0x01, 0, 0, 10, "X <- 10"),
                Arguments.of(new Instruction.LoadScratch(Register.A, 10), 0x60, 0, 0, 10, "A <- M[10]"),
                Arguments.of(new Instruction.LoadScratch(Register.X, 10), 0x61, 0, 0, 10, "X <- M[10]"),
                Arguments.of(new Instruction.LoadLength(Register.A), 0x80, 0, 0, 0, "A <- len"),
                Arguments.of(new Instruction.LoadLength(Register.X), 0x81, 0, 0, 0, "X <- len"),
                Arguments.of(new Instruction.LoadMemShift(10), 0xb1, 0, 0, 10, "X <- 4*(P[10:1]&0xf)"),
                Arguments.of(new Instruction.StoreScratch(Register.A, 10), 0x02, 0, 0, 10, "M[10] <- A"),
                Arguments.of(new Instruction.StoreScratch(Register.X, 10), 0x03, 0, 0, 10, "M[10] <- X"),
                Arguments.of(new Instruction.AluConstant(AluOp.ADD, 10), 0x04, 0, 0, 10, "A <- A + 10"),
                Arguments.of(new Instruction.AluConstant(AluOp.SUB, 10), 0x14, 0, 0, 10, "A <- A - 10"),
                Arguments.of(new Instruction.AluConstant(AluOp.MUL, 10), 0x24, 0, 0, 10, "A <- A * 10"),
                Arguments.of(new Instruction.AluConstant(AluOp.DIV, 10), 0x34, 0, 0, 10, "A <- A / 10"),
                Arguments.of(new Instruction.AluConstant(AluOp.OR, 10), 0x44, 0, 0, 10, "A <- A | 10"),
                Arguments.of(new Instruction.AluConstant(AluOp.AND, 10), 0x54, 0, 0, 10, "A <- A & 10"),
                Arguments.of(new Instruction.AluConstant(AluOp.LSH, 10), 0x64, 0, 0, 10, "A <- A << 10"),
                Arguments.of(new Instruction.AluConstant(AluOp.RSH, 10), 0x74, 0, 0, 10, "A <- A >> 10"),
                Arguments.of(new Instruction.AluConstant(AluOp.MOD, 10), 0x94, 0, 0, 10, "A <- A % 10"),
                Arguments.of(new Instruction.AluConstant(AluOp.XOR, 10), 0xa4, 0, 0, 10, "A <- A ^ 10"),
                Arguments.of(new Instruction.AluX(AluOp.ADD), 0x0c, 0, 0, 0, "A <- A + X"),
                Arguments.of(new Instruction.AluX(AluOp.SUB), 0x1c, 0, 0, 0, "A <- A - X"),
                Arguments.of(new Instruction.AluX(AluOp.MUL), 0x2c, 0, 0, 0, "A <- A * X"),
                Arguments.of(new Instruction.AluX(AluOp.DIV), 0x3c, 0, 0, 0, "A <- A / X"),
                Arguments.of(new Instruction.AluX(AluOp.OR), 0x4c, 0, 0, 0, "A <- A | X"),
                Arguments.of(new Instruction.AluX(AluOp.AND), 0x5c, 0, 0, 0, "A <- A & X"),
                Arguments.of(new Instruction.AluX(AluOp.LSH), 0x6c, 0, 0, 0, "A <- A << X"),
                Arguments.of(new Instruction.AluX(AluOp.RSH), 0x7c, 0, 0, 0, "A <- A >> X"),
                Arguments.of(new Instruction.AluX(AluOp.MOD), 0x9c, 0, 0, 0, "A <- A % X"),
                Arguments.of(new Instruction.AluX(AluOp.XOR), 0xac, 0, 0, 0, "A <- A ^ X"),
                Arguments.of(new Instruction.Negate(), 0x84, 0, 0, 0, "A <- -A"),
                Arguments.of(new Instruction.Jump(10), 0x05, 0, 0, 10, "pc += 10"),
                Arguments.of(new Instruction.JumpIf(JumpCondition.JEQ, 10, 2, 5), 0x15, 2, 5, 10, "pc += (A == 10) ? 2 : 5"),
                Arguments.of(new Instruction.JumpIf(JumpCondition.JGT, 10, 2, 5), 0x25, 2, 5, 10, "pc += (A > 10) ? 2 : 5"),
                Arguments.of(new Instruction.JumpIf(JumpCondition.JGE, 10, 2, 5), 0x35, 2, 5, 10, "pc += (A >= 10) ? 2 : 5"),
                Arguments.of(new Instruction.JumpIf(JumpCondition.JSET, 10, 2, 5), 0x45, 2, 5, 10, "pc += (A & 10) ? 2 : 5"),
                Arguments.of(new Instruction.JumpIfX(JumpCondition.JEQ, 2, 5), 0x1d, 2, 5, 0, "pc += (A == X) ? 2 : 5"),
                Arguments.of(new Instruction.JumpIfX(JumpCondition.JGT, 2, 5), 0x2d, 2, 5, 0, "pc += (A > X) ? 2 : 5"),
                Arguments.of(new Instruction.JumpIfX(JumpCondition.JGE, 2, 5), 0x3d, 2, 5, 0, "pc += (A >= X) ? 2 : 5"),
                Arguments.of(new Instruction.JumpIfX(JumpCondition.JSET, 2, 5), 0x4d, 2, 5, 0, "pc += (A & X) ? 2 : 5"),
                Arguments.of(new Instruction.ReturnConstant(10), 0x06, 0, 0, 10, "ret 10"),
                Arguments.of(new Instruction.ReturnConstant(0x7fff0000), 0x06, 0, 0, 0x7fff0000, "ret 0x7fff0000"),
                Arguments.of(new Instruction.ReturnA(), 0x16, 0, 0, 0, "ret A"),
                Arguments.of(new Instruction.Tax(), 0x07, 0, 0, 0, "X <- A"),
                Arguments.of(new Instruction.Txa(), 0x87, 0, 0, 0, "A <- X"));
    }

    @ParameterizedTest(name = "{5}")
    @MethodSource("opcodes")
    void assemblesDecodesAndPrints(Instruction insn, int code, int jt, int jf, int k, String text) {
        SockFilter raw = insn.assemble();
        assertEquals(new SockFilter(code, jt, jf, k), raw);
        assertEquals(insn, Instruction.decode(raw));
        assertEquals(text, insn.toString());
        assertEquals(text, Disassembler.text(raw));
        assertTrue(Validator.codeAllowed(code), "the kernel knows opcode " + code);
    }

    @ParameterizedTest(name = "0x{0}")
    @ValueSource(ints = {0x08, 0x18, 0x38, 0x58, 0x68, 0x70, 0x09, 0x11, 0x21, 0x41, 0x71, 0x0a, 0x0b, 0x8c, 0xb4,
            0xbc, 0x0d, 0x55, 0x5d, 0x0e, 0x26, 0x1e, 0x0f, 0x47, 0x97, 0x100, 0x120, 0xffff})
    void rejectsUnknownOpcodes(int code) {
        BpfException e = assertThrows(BpfException.class, () -> Instruction.decode(new SockFilter(code, 0, 0, 0)));
        assertEquals(BpfException.Kind.INVALID_OPCODE, e.kind());
        assertTrue(e.getMessage().contains(String.format("0x%04x", code)), e.getMessage());
        assertFalse(Validator.codeAllowed(code));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"code", "jt", "jf"})
    void sockFilterRejectsOutOfRangeFields(String field) {
        BpfException e = assertThrows(BpfException.class, () -> {
            switch (field) {
                case "code": new SockFilter(0x10000, 0, 0, 0); break;
                case "jt": new SockFilter(0x15, 256, 0, 0); break;
                default: new SockFilter(0x15, 0, -1, 0); break;
            }
        });
        assertEquals(BpfException.Kind.ENCODING, e.kind());
        assertTrue(e.getMessage().startsWith(field), e.getMessage());
    }

    @org.junit.jupiter.api.Test
    void typedFormsRejectBadFields() {
        assertEquals(BpfException.Kind.ENCODING,
                assertThrows(BpfException.class, () -> new Instruction.LoadAbsolute(3, 0)).kind());
        assertEquals(BpfException.Kind.ENCODING,
                assertThrows(BpfException.class, () -> new Instruction.JumpIf(JumpCondition.JEQ, 0, 256, 0)).kind());
        assertEquals(BpfException.Kind.ENCODING,
                assertThrows(BpfException.class, () -> new Instruction.JumpIfX(JumpCondition.JEQ, 0, -1)).kind());
    }

    @org.junit.jupiter.api.Test
    void decoderIgnoresUnusedFields() {
        // The kernel ignores jt/jf of non-jumps; so does the decoder, and assembly zeroes them.
        Instruction i = Instruction.decode(new SockFilter(0x06, 3, 4, 7));
        assertEquals(new Instruction.ReturnConstant(7), i);
        assertEquals(new SockFilter(0x06, 0, 0, 7), i.assemble());
    }
}
