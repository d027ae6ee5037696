package dev.tether.bpf;

import static dev.tether.bpf.Bpf.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.tether.bpf.BpfException.Kind;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Label resolution: the cases of gVisor's pkg/bpf/program_builder_test.go (Simple, Labels,
 * MissingErrorTarget, LabelWithNoInstruction, UnusedLabel, BackwardsReference, LabelAddedTwice,
 * JumpBackwards), then trampolines for conditional jumps beyond 255 instructions.
 */
class ProgramBuilderTest {
    private static final int JEQ = BPF_JMP | BPF_JEQ | BPF_K;
    private static final int LDW = BPF_LD | BPF_W | BPF_ABS;
    private static final int RETK = BPF_RET | BPF_K;

    @Test
    void simple() {
        Program p = new ProgramBuilder().stmt(LDW, 10).jump(BPF_JMP | BPF_JA, 0, 0, 0).stmt(RETK, 1).build();
        assertEquals(Program.fromArrays(new int[] {LDW, 0, 0, 10}, new int[] {0x05, 0, 0, 0}, new int[] {RETK, 0, 0, 1}), p);
    }

    @Test
    void labels() {
        ProgramBuilder b = new ProgramBuilder();
        b.jumpIf(JumpCondition.JEQ, 11, "label_1", 0);          // 0
        b.jumpIf(JumpCondition.JEQ, 12, 0, "label_2");          // 1
        b.jumpIf(JumpCondition.JEQ, 13, "label_3", "label_4");  // 2
        b.jumpIf(JumpCondition.JEQ, 14, "label_5", 0);          // 3
        b.label("label_1");
        b.jumpIf(JumpCondition.JEQ, 15, 0, "label_6");          // 4
        b.label("label_2");
        b.jumpIf(JumpCondition.JEQ, 16, "label_3", "label_3");  // 5
        b.label("label_4");
        b.stmt(LDW, 12);                                        // 6
        b.label("label_3");
        b.label("label_5");
        b.jumpIf(JumpCondition.JEQ, 18, "label_6", "label_7");  // 7
        b.label("label_6");
        b.jumpTo("label_7");                                    // 8
        b.label("label_7");
        b.stmt(RETK, 20);                                       // 9
        Program want = Program.fromArrays(
                new int[] {JEQ, 3, 0, 11},   // label_1 = 4
                new int[] {JEQ, 0, 3, 12},   // label_2 = 5
                new int[] {JEQ, 4, 3, 13},   // label_3 = 7, label_4 = 6
                new int[] {JEQ, 3, 0, 14},   // label_5 = 7
                new int[] {JEQ, 0, 3, 15},   // label_6 = 8
                new int[] {JEQ, 1, 1, 16},   // label_3 = 7
                new int[] {LDW, 0, 0, 12},
                new int[] {JEQ, 0, 1, 18},   // label_6 = 8, label_7 = 9
                new int[] {0x05, 0, 0, 0},   // label_7 = 9
                new int[] {RETK, 0, 0, 20});
        assertEquals(want, b.build());
        assertEquals(want, b.build(), "building twice gives the same program");
    }

    @Test
    void missingErrorTarget() {
        ProgramBuilder b = new ProgramBuilder().jumpIf(JumpCondition.JEQ, 10, "foo", 0).stmt(RETK, 0);
        BpfException e = assertThrows(BpfException.class, b::build);
        assertEquals(Kind.LABEL, e.kind());
        assertEquals(0, e.pc());
        assertTrue(e.getMessage().contains("\"foo\" is referenced but never placed"), e.getMessage());
    }

    @Test
    void labelWithNoInstruction() {
        ProgramBuilder b = new ProgramBuilder().jumpIf(JumpCondition.JEQ, 10, "foo", 0).stmt(RETK, 0).label("foo");
        BpfException e = assertThrows(BpfException.class, b::build);
        assertTrue(e.getMessage().contains("\"foo\" is placed after the last instruction"), e.getMessage());
    }

    @Test
    void unusedLabel() {
        Program p = new ProgramBuilder().label("foo").stmt(LDW, 0).label("bar").stmt(RETK, 0).build();
        assertEquals(2, p.size());
    }

    @Test
    void backwardsReference() {
        ProgramBuilder b = new ProgramBuilder().label("foo").stmt(LDW, 0);
        BpfException e = assertThrows(BpfException.class, () -> b.jumpIf(JumpCondition.JEQ, 10, "foo", 0));
        assertEquals(Kind.LABEL, e.kind());
        assertEquals(1, e.pc());
        assertTrue(e.getMessage().contains("backward reference to label \"foo\""), e.getMessage());
        assertThrows(BpfException.class, () -> b.jumpTo("foo"));
    }

    @Test
    void labelAddedTwice() {
        ProgramBuilder b = new ProgramBuilder().jumpIf(JumpCondition.JEQ, 10, "foo", 0).label("foo").stmt(LDW, 0);
        BpfException e = assertThrows(BpfException.class, () -> b.label("foo"));
        assertTrue(e.getMessage().contains("label \"foo\" is placed twice"), e.getMessage());
    }

    @Test
    void jumpBackwards() {
        // A label that was referenced, then placed, cannot be referenced again (it is behind us).
        ProgramBuilder b = new ProgramBuilder().jumpIf(JumpCondition.JEQ, 10, "foo", 0).label("foo").stmt(LDW, 0);
        BpfException e = assertThrows(BpfException.class, () -> b.jumpIf(JumpCondition.JEQ, 10, "foo", 0));
        assertTrue(e.getMessage().contains("backward reference"), e.getMessage());
    }

    @Test
    void misuse() {
        assertEquals(Kind.LABEL, assertThrows(BpfException.class, () -> new ProgramBuilder().stmt(0x05, 0)).kind());
        assertEquals(Kind.LABEL, assertThrows(BpfException.class, () -> new ProgramBuilder().jump(0x06, 0, 0, 0)).kind());
        assertEquals(Kind.INVALID_JUMP, assertThrows(BpfException.class,
                () -> new ProgramBuilder().jump(JEQ, 0, 2, 0).stmt(RETK, 0).build()).kind());
    }

    /** n filler instructions that leave A alone. */
    private static void filler(ProgramBuilder b, int n) {
        for (int i = 0; i < n; i++) {
            b.stmt(BPF_LDX | BPF_IMM, i);
        }
    }

    private static Interpreter.Result runWithA(Program p, int a) {
        // A is loaded from the first word of the input.
        return Interpreter.run(p, java.nio.ByteBuffer.allocate(4).putInt(a).array(), ByteOrder.BIG_ENDIAN);
    }

    @Test
    void farTrueTargetGetsAJumpTrampoline() {
        ProgramBuilder b = new ProgramBuilder().stmt(LDW, 0).jumpIf(JumpCondition.JEQ, 7, "far", null);
        filler(b, 300);
        b.stmt(RETK, 1).label("far").stmt(BPF_LDX | BPF_IMM, 0).stmt(RETK, 2);
        Program p = b.build();
        Validator.checkClassic(Program.of(p.sockFilters()));  // structure is valid
        assertEquals(new SockFilter(JEQ, 0, 1, 7), p.get(1));
        assertEquals(BPF_JMP | BPF_JA, p.get(2).code());
        assertEquals(new Interpreter.Result(2, 1 + 1 + 1 + 2), runWithA(p, 7));   // LD, JEQ, JA, LDX, RET
        assertEquals(new Interpreter.Result(1, 1 + 1 + 300 + 1), runWithA(p, 8));
    }

    @Test
    void farFalseTargetGetsAJumpTrampoline() {
        ProgramBuilder b = new ProgramBuilder().stmt(LDW, 0).jumpIf(JumpCondition.JEQ, 7, null, "far");
        filler(b, 300);
        b.stmt(RETK, 1).label("far").stmt(BPF_LDX | BPF_IMM, 0).stmt(RETK, 2);
        Program p = b.build();
        assertEquals(new SockFilter(JEQ, 1, 0, 7), p.get(1));
        assertEquals(new Interpreter.Result(2, 5), runWithA(p, 8));
        assertEquals(new Interpreter.Result(1, 303), runWithA(p, 7));
    }

    @Test
    void bothTargetsFar() {
        ProgramBuilder b = new ProgramBuilder().stmt(LDW, 0).jumpIf(JumpCondition.JGT, 7, "t", "f");
        filler(b, 300);
        b.stmt(RETK, 1).label("t").stmt(BPF_LDX | BPF_IMM, 0).stmt(RETK, 2);
        filler(b, 300);
        b.label("f").stmt(BPF_LDX | BPF_IMM, 0).stmt(RETK, 3);
        Program p = b.build();
        assertEquals(new SockFilter(BPF_JMP | BPF_JGT | BPF_K, 0, 1, 7), p.get(1));
        assertEquals(new Interpreter.Result(2, 5), runWithA(p, 8));
        assertEquals(new Interpreter.Result(3, 5), runWithA(p, 6));
        // Same far target on both sides: one trampoline.
        ProgramBuilder s = new ProgramBuilder().stmt(LDW, 0).jumpIf(JumpCondition.JGT, 7, "t", "t");
        filler(s, 300);
        s.label("t").stmt(RETK, 2);
        Program ps = s.build();
        assertEquals(new SockFilter(BPF_JMP | BPF_JGT | BPF_K, 0, 0, 7), ps.get(1));
        assertEquals(303 + 1, ps.size());
    }

    @Test
    void farReturnIsCopiedInsteadOfJumpedTo() {
        ProgramBuilder b = new ProgramBuilder().stmt(LDW, 0).jumpIf(JumpCondition.JEQ, 7, "ret", null);
        filler(b, 300);
        b.stmt(RETK, 1).label("ret").stmt(RETK, 2);
        Program p = b.build();
        assertEquals(SockFilter.stmt(RETK, 2), p.get(2));
        assertEquals(new Interpreter.Result(2, 3), runWithA(p, 7), "no extra instruction on the far path");
    }

    @Test
    void numericOffsetsCountBuilderInstructions() {
        // jf = 301 skips the filler and the RET that follow in the builder, whatever is inserted.
        ProgramBuilder b = new ProgramBuilder().stmt(LDW, 0).jump(JEQ, 7, 0, 301);
        filler(b, 300);
        b.stmt(RETK, 1).stmt(RETK, 2);
        Program p = b.build();
        assertEquals(new Interpreter.Result(1, 303), runWithA(p, 7));
        assertEquals(new Interpreter.Result(2, 3), runWithA(p, 8));
    }

    /**
     * Random label programs over LD IMM / JEQ / JGT / JA / RET, some with far jumps, built and
     * run on the interpreter, must compute what the item list means.
     */
    @Test
    void randomLabelProgramsKeepTheirMeaning() {
        long seed = Long.getLong("tether.seed", 20260101L);
        Random rnd = new Random(seed);
        for (int round = 0; round < 60; round++) {
            int n = 10 + rnd.nextInt(round < 30 ? 60 : 1200);
            // item: kind 0 = LD IMM v, 1 = JEQ v -> t/f, 2 = JGT, 3 = JA t, 4 = RET v
            int[] kind = new int[n];
            int[] val = new int[n];
            int[] tgt = new int[n];
            int[] fgt = new int[n];
            for (int i = 0; i < n; i++) {
                kind[i] = i == n - 1 ? 4 : rnd.nextInt(5);
                val[i] = rnd.nextInt(4);
                if (kind[i] >= 1 && kind[i] <= 3) {
                    tgt[i] = i + 1 + rnd.nextInt(n - i - 1);
                    fgt[i] = i + 1 + (rnd.nextBoolean() ? 0 : rnd.nextInt(n - i - 1));
                }
            }
            ProgramBuilder b = new ProgramBuilder();
            for (int i = 0; i < n; i++) {
                b.label("L" + i);
                switch (kind[i]) {
                    case 0: b.stmt(BPF_LD | BPF_IMM, val[i]); break;
                    case 1: b.jumpIf(JumpCondition.JEQ, val[i], "L" + tgt[i], "L" + fgt[i]); break;
                    case 2: b.jumpIf(JumpCondition.JGT, val[i], "L" + tgt[i], "L" + fgt[i]); break;
                    case 3: b.jumpTo("L" + tgt[i]); break;
                    default: b.stmt(RETK, 100 + i); break;
                }
            }
            Program p = b.build();
            String ctx = "seed=" + seed + " round=" + round + " n=" + n;
            assertDoesNotThrow(() -> Validator.checkClassic(p), ctx);
            // Reference semantics over the item list (A starts at 0, as in the kernel).
            int a = 0;
            int pc = 0;
            int steps = 0;
            int want;
            while (true) {
                steps++;
                if (kind[pc] == 4) {
                    want = 100 + pc;
                    break;
                }
                switch (kind[pc]) {
                    case 0: a = val[pc]; pc++; break;
                    case 1: pc = a == val[pc] ? tgt[pc] : fgt[pc]; break;
                    case 2: pc = a > val[pc] ? tgt[pc] : fgt[pc]; break;
                    default: pc = tgt[pc]; break;
                }
            }
            Interpreter.Result r = Interpreter.run(p, new byte[0], ByteOrder.BIG_ENDIAN);
            assertEquals(want, r.value(), ctx);
            // Each executed item costs itself plus at most one trampoline.
            assertTrue(r.executed() >= steps && r.executed() <= 2 * steps, ctx + ": executed " + r.executed() + " vs " + steps);
        }
    }

    @Test
    void builderTrampolinesCanCascade() {
        // 260 jumps, each over the whole rest: every one needs a trampoline, and inserting them
        // pushes neighbours out of reach.
        ProgramBuilder b = new ProgramBuilder().stmt(LDW, 0);
        for (int i = 0; i < 260; i++) {
            b.jumpIf(JumpCondition.JEQ, i, "end" + i, null);
        }
        b.stmt(RETK, 999);
        for (int i = 259; i >= 0; i--) {
            b.label("end" + i).stmt(BPF_LD | BPF_IMM, 0).stmt(RETK, i);
        }
        Program p = b.build();
        Validator.checkClassic(p);
        for (int a : new int[] {0, 1, 100, 200, 259}) {
            assertEquals(a, runWithA(p, a).value());
        }
        assertEquals(999, runWithA(p, 260).value());
    }
}
