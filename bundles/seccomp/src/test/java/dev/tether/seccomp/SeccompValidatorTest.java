package dev.tether.seccomp;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.bpf.BpfException;
import dev.tether.bpf.BpfException.Kind;
import dev.tether.bpf.Program;
import dev.tether.bpf.Validator;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Seccomp's load-time checks (kernel/seccomp.c seccomp_check_filter, after net/core/filter.c
 * bpf_check_classic), one table row per rule.
 */
class SeccompValidatorTest {
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

    /**
     * The classic checks run first, as in the kernel (seccomp_prepare_filter calls
     * bpf_prog_create_from_user, whose bpf_check_classic runs before seccomp_check_filter): a
     * program broken both ways reports the classic problem.
     */
    static Stream<Arguments> classicErrors() {
        return Stream.of(
                Arguments.of("empty", p(), Kind.INSTRUCTION_COUNT, -1),
                Arguments.of("4097 instructions", repeat(4097, RET0), Kind.INSTRUCTION_COUNT, -1),
                Arguments.of("unknown opcode after a seccomp-only one",
                        p(new int[] {0x28, 0, 0, 0}, new int[] {0x08, 0, 0, 0}, RET0), Kind.INVALID_OPCODE, 1),
                Arguments.of("mod by constant 0", p(new int[] {0x94, 0, 0, 0}, RET0), Kind.DIVISION_BY_ZERO, 0),
                Arguments.of("jump past the end", p(new int[] {0x05, 0, 0, 1}, RET0), Kind.INVALID_JUMP, 0),
                Arguments.of("last is not RET", p(RET0, new int[] {0x00, 0, 0, 0}), Kind.INVALID_END, 1),
                Arguments.of("M read unwritten", p(new int[] {0x60, 0, 0, 3}, RET0), Kind.UNINITIALIZED_MEMORY, 0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("classicErrors")
    void classicErrorsComeFirst(String desc, Program prog, Kind kind, int pc) {
        BpfException classic = assertThrows(BpfException.class, () -> Validator.checkClassic(prog), desc);
        BpfException e = assertThrows(BpfException.class, () -> SeccompValidator.check(prog), desc);
        assertEquals(kind, e.kind(), e.getMessage());
        assertEquals(pc, e.pc(), e.getMessage());
        assertEquals(classic.getMessage(), e.getMessage());
    }

    /** Valid socket filters that seccomp rejects. */
    static Stream<Arguments> seccompOnlyErrors() {
        return Stream.of(
                Arguments.of("LD H ABS", p(new int[] {0x28, 0, 0, 0}, RET0), Kind.NOT_ALLOWED, 0),
                Arguments.of("LD B ABS", p(new int[] {0x30, 0, 0, 0}, RET0), Kind.NOT_ALLOWED, 0),
                Arguments.of("LD W IND", p(new int[] {0x40, 0, 0, 0}, RET0), Kind.NOT_ALLOWED, 0),
                Arguments.of("LD H IND", p(new int[] {0x48, 0, 0, 0}, RET0), Kind.NOT_ALLOWED, 0),
                Arguments.of("LD B IND", p(new int[] {0x50, 0, 0, 0}, RET0), Kind.NOT_ALLOWED, 0),
                Arguments.of("LDX MSH", p(RET0, new int[] {0xb1, 0, 0, 0}, RET0), Kind.NOT_ALLOWED, 1),
                Arguments.of("MOD K", p(new int[] {0x94, 0, 0, 3}, RET0), Kind.NOT_ALLOWED, 0),
                Arguments.of("MOD X", p(new int[] {0x9c, 0, 0, 0}, RET0), Kind.NOT_ALLOWED, 0),
                Arguments.of("LD W ABS 64", p(new int[] {0x20, 0, 0, 64}, RET0), Kind.INVALID_LOAD, 0),
                Arguments.of("LD W ABS 2 (misaligned)", p(new int[] {0x20, 0, 0, 2}, RET0), Kind.INVALID_LOAD, 0),
                Arguments.of("LD W ABS ancillary", p(new int[] {0x20, 0, 0, 0xfffff000}, RET0), Kind.INVALID_LOAD, 0));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("seccompOnlyErrors")
    void seccompRejectsWhatSocketFiltersAllow(String desc, Program prog, Kind kind, int pc) {
        assertDoesNotThrow(() -> Validator.checkClassic(prog));
        BpfException e = assertThrows(BpfException.class, () -> SeccompValidator.check(prog));
        assertEquals(kind, e.kind(), e.getMessage());
        assertEquals(pc, e.pc());
    }

    @Test
    void acceptsValidSeccompPrograms() {
        // Every opcode seccomp allows, M[] written before read, loads inside seccomp_data.
        Program ok = p(
                new int[] {0x20, 0, 0, 4},      // A <- arch
                new int[] {0x80, 0, 0, 0},      // A <- len (64)
                new int[] {0x81, 0, 0, 0},      // X <- len
                new int[] {0x00, 0, 0, 1}, new int[] {0x01, 0, 0, 2},
                new int[] {0x02, 0, 0, 0}, new int[] {0x03, 0, 0, 15},
                new int[] {0x60, 0, 0, 0}, new int[] {0x61, 0, 0, 15},
                new int[] {0x04, 0, 0, 1}, new int[] {0x0c, 0, 0, 0}, new int[] {0x14, 0, 0, 1}, new int[] {0x1c, 0, 0, 0},
                new int[] {0x24, 0, 0, 3}, new int[] {0x2c, 0, 0, 0}, new int[] {0x34, 0, 0, 3}, new int[] {0x3c, 0, 0, 0},
                new int[] {0x44, 0, 0, 1}, new int[] {0x4c, 0, 0, 0}, new int[] {0x54, 0, 0, 1}, new int[] {0x5c, 0, 0, 0},
                new int[] {0x64, 0, 0, 31}, new int[] {0x6c, 0, 0, 0}, new int[] {0x74, 0, 0, 31}, new int[] {0x7c, 0, 0, 0},
                new int[] {0xa4, 0, 0, 1}, new int[] {0xac, 0, 0, 0}, new int[] {0x84, 0, 0, 0},
                new int[] {0x07, 0, 0, 0}, new int[] {0x87, 0, 0, 0},
                new int[] {0x05, 0, 0, 0},
                new int[] {0x15, 0, 0, 0}, new int[] {0x1d, 0, 0, 0}, new int[] {0x25, 0, 0, 0}, new int[] {0x2d, 0, 0, 0},
                new int[] {0x35, 0, 0, 0}, new int[] {0x3d, 0, 0, 0}, new int[] {0x45, 0, 0, 0}, new int[] {0x4d, 0, 1, 0},
                new int[] {0x16, 0, 0, 0},
                new int[] {0x20, 0, 0, 60},
                RET0);
        assertDoesNotThrow(() -> SeccompValidator.check(ok));
        assertDoesNotThrow(() -> SeccompValidator.check(repeat(4096, RET0)));
        // M written on both paths before the join.
        assertDoesNotThrow(() -> SeccompValidator.check(p(
                new int[] {0x15, 0, 2, 0},
                new int[] {0x02, 0, 0, 7},
                new int[] {0x05, 0, 0, 1},
                new int[] {0x02, 0, 0, 7},
                new int[] {0x60, 0, 0, 7},
                RET0)));
    }

    @Test
    void refusalsNameTheOpcodeAndWhy() {
        BpfException e = assertThrows(BpfException.class, () -> SeccompValidator.check(p(RET0, new int[] {0x9c, 0, 0, 0}, RET0)));
        assertTrue(e.getMessage().startsWith("pc 1: opcode 0x009c ("), e.getMessage());
        assertTrue(e.getMessage().endsWith(") is not allowed in seccomp filters"), e.getMessage());
        BpfException load = assertThrows(BpfException.class, () -> SeccompValidator.check(p(new int[] {0x20, 0, 0, 62}, RET0)));
        assertEquals("pc 0: seccomp load at offset 62 is not a 4-byte aligned offset inside struct seccomp_data (0..60)",
                load.getMessage());
    }
}
