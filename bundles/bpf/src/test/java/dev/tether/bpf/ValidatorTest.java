package dev.tether.bpf;

import static org.junit.jupiter.api.Assertions.*;

import dev.tether.bpf.BpfException.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The kernel's classic checks (net/core/filter.c bpf_check_classic + check_load_and_stores), one
 * table row per rule. Seccomp's own checks are tested in the seccomp bundle (SeccompValidatorTest).
 */
class ValidatorTest {
    private static final int[] RET0 = {0x06, 0, 0, 0};

    static Program p(int[]... insns) {
        return Program.fromArrays(insns);
    }

    static Program repeat(int n, int[] insn) {
        List<int[]> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            l.add(insn);
        }
        return Program.fromArrays(l);
    }

    /** Programs the kernel rejects as socket filters: description, program, kind, pc, message fragment. */
    static Stream<Arguments> classicErrors() {
        return Stream.of(
                Arguments.of("empty", p(), Kind.INSTRUCTION_COUNT, -1, "0 instructions"),
                Arguments.of("4097 instructions", repeat(4097, RET0), Kind.INSTRUCTION_COUNT, -1, "4097 instructions"),
                Arguments.of("unknown opcode", p(new int[] {0x08, 0, 0, 0}, RET0), Kind.INVALID_OPCODE, 0, "0x0008"),
                Arguments.of("RET X", p(new int[] {0x0e, 0, 0, 0}), Kind.INVALID_OPCODE, 0, "0x000e"),
                Arguments.of("div by constant 0", p(new int[] {0x34, 0, 0, 0}, RET0), Kind.DIVISION_BY_ZERO, 0, "zero"),
                Arguments.of("mod by constant 0", p(RET0, new int[] {0x94, 0, 0, 0}, RET0), Kind.DIVISION_BY_ZERO, 1, "zero"),
                Arguments.of("lsh by 32", p(new int[] {0x64, 0, 0, 32}, RET0), Kind.INVALID_SHIFT, 0, "32"),
                Arguments.of("rsh by -1", p(new int[] {0x74, 0, 0, -1}, RET0), Kind.INVALID_SHIFT, 0, "4294967295"),
                Arguments.of("LD M[16]", p(new int[] {0x60, 0, 0, 16}, RET0), Kind.INVALID_REGISTER, 0, "M[16]"),
                Arguments.of("LDX M[16]", p(new int[] {0x61, 0, 0, 16}, RET0), Kind.INVALID_REGISTER, 0, "M[16]"),
                Arguments.of("ST M[16]", p(new int[] {0x02, 0, 0, 16}, RET0), Kind.INVALID_REGISTER, 0, "M[16]"),
                Arguments.of("STX M[-1]", p(new int[] {0x03, 0, 0, -1}, RET0), Kind.INVALID_REGISTER, 0, "M[4294967295]"),
                Arguments.of("JA past the end", p(new int[] {0x05, 0, 0, 1}, RET0), Kind.INVALID_JUMP, 0, "target 2"),
                Arguments.of("JA huge", p(new int[] {0x05, 0, 0, -1}, RET0), Kind.INVALID_JUMP, 0, "4294967295"),
                Arguments.of("jt past the end", p(new int[] {0x15, 1, 0, 0}, RET0), Kind.INVALID_JUMP, 0, "jt 1"),
                Arguments.of("jf past the end", p(new int[] {0x45, 0, 1, 0}, RET0), Kind.INVALID_JUMP, 0, "jf 1"),
                Arguments.of("X jump past the end", p(new int[] {0x2d, 0, 7, 0}, RET0), Kind.INVALID_JUMP, 0, "jf 7"),
                Arguments.of("unknown ancillary load", p(new int[] {0x20, 0, 0, 0xfffff000 + 64}, RET0), Kind.INVALID_LOAD, 0, "ancillary"),
                Arguments.of("last is not RET", p(RET0, new int[] {0x00, 0, 0, 0}), Kind.INVALID_END, 1, "not RET"),
                Arguments.of("last is a jump", p(new int[] {0x05, 0, 0, 0}, new int[] {0x15, 0, 0, 0}), Kind.INVALID_JUMP, 1, "jt 0"),
                Arguments.of("M read unwritten", p(new int[] {0x60, 0, 0, 3}, RET0), Kind.UNINITIALIZED_MEMORY, 0, "M[3]"),
                Arguments.of("M written on one path only", p(
                        new int[] {0x15, 0, 1, 0},   // 0: if A == 0 goto 1 else 2
                        new int[] {0x02, 0, 0, 5},   // 1: M[5] <- A
                        new int[] {0x61, 0, 0, 5},   // 2: X <- M[5]   (path 0->2 never wrote it)
                        RET0), Kind.UNINITIALIZED_MEMORY, 2, "M[5]"),
                Arguments.of("M written, then JA around", p(
                        new int[] {0x05, 0, 0, 1},   // 0: goto 2
                        new int[] {0x02, 0, 0, 1},   // 1: M[1] <- A (skipped)
                        new int[] {0x60, 0, 0, 1},   // 2: A <- M[1]
                        RET0), Kind.UNINITIALIZED_MEMORY, 2, "M[1]"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("classicErrors")
    void classicErrorsAreRejected(String desc, Program prog, Kind kind, int pc, String fragment) {
        BpfException e = assertThrows(BpfException.class, () -> Validator.checkClassic(prog), desc);
        assertEquals(kind, e.kind(), e.getMessage());
        assertEquals(pc, e.pc(), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
        if (pc >= 0) {
            assertTrue(e.getMessage().startsWith("pc " + pc + ": "), e.getMessage());
        }
    }

    @Test
    void acceptsValidPrograms() {
        // M written on both paths before the join; the longest program; a defined ancillary load.
        assertDoesNotThrow(() -> Validator.checkClassic(p(
                new int[] {0x15, 0, 2, 0},
                new int[] {0x02, 0, 0, 7},
                new int[] {0x05, 0, 0, 1},
                new int[] {0x02, 0, 0, 7},
                new int[] {0x60, 0, 0, 7},
                RET0)));
        assertDoesNotThrow(() -> Validator.checkClassic(repeat(4096, RET0)));
        assertDoesNotThrow(() -> Validator.checkClassic(p(new int[] {0x20, 0, 0, 0xfffff000 + 36}, RET0)));
        // What seccomp refuses (seccomp's SeccompValidatorTest) is a valid socket filter.
        assertDoesNotThrow(() -> Validator.checkClassic(p(new int[] {0x28, 0, 0, 0}, new int[] {0x94, 0, 0, 3},
                new int[] {0xb1, 0, 0, 0}, new int[] {0x20, 0, 0, 64}, RET0)));
    }

    @Test
    void kernelConservatismAfterReturn() {
        // check_load_and_stores lets the state before a RET flow into the next instruction. Here
        // pc 5 is only reachable from pc 2, after the store, but the store-free path 0 -> 4 ends
        // in the RET just before it, so the kernel rejects the program; so do we.
        Program p = p(
                new int[] {0x15, 3, 0, 0},  // 0: A == 0 ? 4 : 1
                new int[] {0x02, 0, 0, 0},  // 1: M[0] <- A
                new int[] {0x15, 2, 2, 0},  // 2: goto 5 either way
                new int[] {0x00, 0, 0, 0},  // 3: (unreachable)
                new int[] {0x06, 0, 0, 0},  // 4: ret 0
                new int[] {0x60, 0, 0, 0},  // 5: A <- M[0]
                RET0);
        BpfException e = assertThrows(BpfException.class, () -> Validator.checkClassic(p));
        assertEquals(Kind.UNINITIALIZED_MEMORY, e.kind());
        assertEquals(5, e.pc());
        // The interpreter, which zeroes M[], runs it anyway.
        assertEquals(0, Interpreter.run(p, new byte[64], java.nio.ByteOrder.LITTLE_ENDIAN).value());
    }
}
