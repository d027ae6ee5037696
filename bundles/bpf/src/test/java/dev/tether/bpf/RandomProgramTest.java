package dev.tether.bpf;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Seeded random valid programs through every encoding and back. */
class RandomProgramTest {
    static Instruction randomInstruction(Random r, int pc, int len) {
        int room = len - pc - 2; // jumps must land on pc+1 .. len-1
        int k = r.nextInt(4) == 0 ? r.nextInt() : r.nextInt(64);
        Register reg = r.nextBoolean() ? Register.A : Register.X;
        int[] sizes = {1, 2, 4};
        switch (r.nextInt(17)) {
            case 0: return new Instruction.LoadAbsolute(sizes[r.nextInt(3)], k);
            case 1: return new Instruction.LoadIndirect(sizes[r.nextInt(3)], k);
            case 2: return new Instruction.LoadConstant(reg, k);
            case 3: return new Instruction.LoadScratch(reg, r.nextInt(16));
            case 4: return new Instruction.LoadLength(reg);
            case 5: return new Instruction.LoadMemShift(k);
            case 6: return new Instruction.StoreScratch(reg, r.nextInt(16));
            case 7: return new Instruction.AluConstant(AluOp.values()[r.nextInt(AluOp.values().length)], k);
            case 8: return new Instruction.AluX(AluOp.values()[r.nextInt(AluOp.values().length)]);
            case 9: return new Instruction.Negate();
            case 10: return new Instruction.Jump(r.nextInt(room + 1));
            case 11: return new Instruction.JumpIf(JumpCondition.values()[r.nextInt(4)], k,
                    r.nextInt(Math.min(room, 255) + 1), r.nextInt(Math.min(room, 255) + 1));
            case 12: return new Instruction.JumpIfX(JumpCondition.values()[r.nextInt(4)],
                    r.nextInt(Math.min(room, 255) + 1), r.nextInt(Math.min(room, 255) + 1));
            case 13: return new Instruction.ReturnConstant(k);
            case 14: return new Instruction.ReturnA();
            case 15: return new Instruction.Tax();
            default: return new Instruction.Txa();
        }
    }

    @Test
    void encodeDecodeRoundTrip() {
        long seed = Long.getLong("tether.seed", 0x7e7e7e7eL);
        Random r = new Random(seed);
        for (int round = 0; round < 500; round++) {
            int len = 1 + r.nextInt(round < 450 ? 40 : 4096);
            List<Instruction> insns = new ArrayList<>();
            for (int pc = 0; pc < len - 1; pc++) {
                insns.add(randomInstruction(r, pc, len));
            }
            insns.add(r.nextBoolean() ? new Instruction.ReturnConstant(r.nextInt()) : new Instruction.ReturnA());
            String ctx = "seed=" + seed + " round=" + round;
            Program p = Program.assemble(insns);
            assertEquals(len, p.size(), ctx);
            assertEquals(insns, p.instructions(), ctx);
            for (ByteOrder o : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
                Program back = Program.fromBytes(p.toBytes(o), o);
                assertEquals(p, back, ctx);
                assertEquals(p.hashCode(), back.hashCode(), ctx);
            }
            assertEquals(p, Program.fromArrays(p.toArrays()), ctx);
            assertEquals(p, new ProgramBuilder().addAll(insns).build(), ctx + ": the builder keeps numeric offsets");
            assertEquals(len, Disassembler.disassemble(p).split("\n").length, ctx);
            // Jumps stay inside the program and it ends in RET: only scratch-memory use,
            // division/shift constants and ancillary loads can make the kernel refuse it.
            try {
                Validator.checkClassic(p);
            } catch (BpfException e) {
                assertTrue(e.kind() == BpfException.Kind.UNINITIALIZED_MEMORY || e.kind() == BpfException.Kind.DIVISION_BY_ZERO
                        || e.kind() == BpfException.Kind.INVALID_SHIFT || e.kind() == BpfException.Kind.INVALID_LOAD,
                        ctx + ": " + e.getMessage());
            }
            // The interpreter always terminates on such a program.
            Interpreter.Result res = Interpreter.run(p, new byte[64], ByteOrder.LITTLE_ENDIAN);
            assertTrue(res.executed() >= 1 && res.executed() <= len, ctx);
        }
    }
}
