package dev.tether.arch.arm64;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.arch.arm64.A64Assembler.Line;
import dev.tether.arch.arm64.A64Assembler.Program;
import dev.tether.spi.MachineCode;
import dev.tether.spi.StubProgram;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class Arm64StubProgramTest {
    private final Arm64StubProgram program = new Arm64StubProgram();

    /** The reference encoding of spec §4.2, as 32-bit words. */
    private static final int[] SPEC_4_2 = {
        0xd28014e8, 0xd2800020, 0xd2800121, 0xd4000001, 0xb13ffc1f, 0x54000282, 0xd28015a8, 0xd4000001,
        0xeb07001f, 0x54000281, 0xd2801588, 0xd4000001, 0xf100001f, 0x5400018b, 0xd2800009, 0xd2801028,
        0xd2800261, 0xd4000001, 0xf100053f, 0x54000060, 0xd4200060, 0x17ffffff, 0xf100001f, 0x54fffd20,
        0x17fffffc, 0xcb0003e0, 0xd2800ba8, 0xd4000001, 0xd4400000, 0xd2800ba8, 0xd2800020, 0xd4000001,
        0xd4400000,
    };

    @Test
    void stubMatchesGnuAs() {
        A64AssemblerTest.assertSameAsGnu("arm64-stub", Arm64StubProgram.assembleStub());
    }

    @Test
    void stubIsTheSpecReferenceEncoding() {
        MachineCode stub = program.stub();
        byte[] expected = new byte[SPEC_4_2.length * 4];
        for (int i = 0; i < SPEC_4_2.length; i++) {
            for (int b = 0; b < 4; b++) {
                expected[4 * i + b] = (byte) (SPEC_4_2[i] >>> (8 * b));
            }
        }
        assertArrayEquals(expected, stub.code(), stub.listing());
        assertEquals(132, stub.length());
        assertEquals(0, stub.entryOffset());
        assertEquals(0x44, stub.syscallOffset(), "the kill svc (initRegs.pc = stubStart + 0x44)");
    }

    @Test
    void syscallOffsetIsTheKillSvc() {
        Program p = Arm64StubProgram.assembleStub();
        int off = program.stub().syscallOffset();
        Line svc = lineAt(p, off);
        assertEquals("svc #0", svc.text());
        List<String> before = texts(p, 0, off);
        assertEquals(List.of("movz x9, #0", "movz x8, #129", "movz x1, #19"), before.subList(before.size() - 3, before.size()));
        assertEquals(List.of("cmp x9, #1", "b.eq clone", "brk #3", "b done"), texts(p, off + 4, off + 20));
    }

    @Test
    void stubSyscallsAreThoseOfSpec41() {
        assertEquals(List.of("prctl", "getppid", "getpid", "kill", "exit", "exit"),
                syscallSequence(Arm64StubProgram.assembleStub()));
    }

    @Test
    void trampolineMatchesGnuAs() {
        A64AssemblerTest.assertSameAsGnu("arm64-trampoline", Arm64StubProgram.assembleTrampoline());
    }

    @Test
    void trampolineShape() {
        MachineCode t = program.trampoline();
        assertEquals(0, t.entryOffset());
        assertEquals(-1, t.syscallOffset());
        Program p = Arm64StubProgram.assembleTrampoline();
        assertArrayEquals(p.code(), t.code());
        assertEquals(List.of("rt_sigprocmask", "clone", "rt_sigprocmask", // parent
                "setsid", "rt_sigaction", "rt_sigprocmask", "rseq", "prctl", "seccomp", "exit"), // child, no arch_prctl
                syscallSequence(p));
    }

    @Test
    void trampolineParentPathKeepsTheCAbi() {
        Program p = Arm64StubProgram.assembleTrampoline();
        List<String> parent = texts(p, 0, p.offsetOf("child"));
        assertEquals("stp x19, x20, [sp, #-16]!", parent.get(0));
        assertEquals("mov x19, x0", parent.get(1), "args pointer comes in x0");
        assertEquals(List.of("ldp x19, x20, [sp], #16", "ret"), parent.subList(parent.size() - 2, parent.size()));
        assertEquals(p.offsetOf("out"), p.code().length > 0 ? lineWith(p, "ldp x19, x20, [sp], #16").offset() : -1);
        assertTrue(parent.contains("mov x0, x20"), "the clone result is returned in x0");
        // Only x19/x20 of the callee-saved x19..x29 are written, and never x30 or sp otherwise.
        Pattern writes = Pattern.compile("^(?!stp|ldp|str|cmp|cmn|b|cbz|cbnz|svc|ret)\\S+ (x(2[1-9]|30)|sp)\\b");
        for (String s : parent) {
            assertFalse(writes.matcher(s).find(), "parent path writes a callee-saved register: " + s);
        }
    }

    @Test
    void trampolineReadsEveryArgumentWordButCpuid() {
        Program p = Arm64StubProgram.assembleTrampoline();
        Pattern mem = Pattern.compile("(?:\\[x19(?:, #(\\d+))?\\]|, x19, #(\\d+))");
        Set<Integer> words = new TreeSet<>();
        for (Line l : p.lines()) {
            Matcher m = mem.matcher(l.text());
            if (m.find()) {
                String off = m.group(1) != null ? m.group(1) : m.group(2);
                words.add(off == null ? 0 : Integer.parseInt(off) / 8);
            }
        }
        assertEquals(new TreeSet<>(List.of(StubProgram.ARG_CLONE_FLAGS, StubProgram.ARG_STUB_ENTRY, StubProgram.ARG_PPID,
                StubProgram.ARG_FPROG, StubProgram.ARG_SECCOMP_FLAGS, StubProgram.ARG_RSEQ_OFFSET, StubProgram.ARG_RSEQ_LEN,
                StubProgram.ARG_RSEQ_SIG, StubProgram.ARG_FULL_SIGSET, StubProgram.ARG_SAVED_SIGSET,
                StubProgram.ARG_SIGACTION_DFL)), words);
        List<String> all = texts(p, 0, p.code().length);
        assertTrue(all.contains("ldr x7, [x19, #16]"), "x7 = ppid");
        assertTrue(all.contains("mrs x0, tpidr_el0"), "thread pointer");
    }

    @Test
    void placementAndCpuidAndRseq() {
        assertEquals(0xffffffff0000L, program.stubPlacementStart(4096));
        assertEquals(0xffffffff0000L, program.stubPlacementStart(16384));
        assertEquals(0xffffffff0000L, program.stubPlacementStart(65536));
        assertEquals(0xfffffffe0000L, program.stubPlacementStart(1 << 17));
        assertThrows(IllegalArgumentException.class, () -> program.stubPlacementStart(-4096));
        assertThrows(IllegalArgumentException.class, () -> program.stubPlacementStart(12288));
        assertEquals(0xd428bc00, program.rseqSignature());
        assertEquals("arm64", program.arch());
        assertFalse(program.cpuidFaulting("processor\t: 0\nflags\t\t: fpu cpuid_fault\n"));
        assertFalse(program.cpuidFaulting("processor\t: 0\nFeatures\t: fp asimd cpuid\n"));
        assertThrows(NullPointerException.class, () -> program.cpuidFaulting(null));
    }

    /** Names of the syscalls in program order: the last {@code movz x8, #N} before each svc. */
    static List<String> syscallSequence(Program p) {
        Arm64SyscallTable table = new Arm64SyscallTable();
        Pattern setX8 = Pattern.compile("^movz x8, #(\\d+)$");
        List<String> out = new ArrayList<>();
        Integer nr = null;
        for (Line l : p.lines()) {
            Matcher m = setX8.matcher(l.text());
            if (m.matches()) {
                nr = Integer.valueOf(m.group(1));
            } else if (l.text().equals("svc #0")) {
                out.add(table.name(nr).orElseThrow());
            }
        }
        return out;
    }

    private static List<String> texts(Program p, int from, int to) {
        List<String> out = new ArrayList<>();
        for (Line l : p.lines()) {
            if (l.offset() >= from && l.offset() < to) {
                out.add(l.text());
            }
        }
        return out;
    }

    private static Line lineAt(Program p, int offset) {
        return p.lines().stream().filter(l -> l.offset() == offset).findFirst().orElseThrow();
    }

    private static Line lineWith(Program p, String text) {
        return p.lines().stream().filter(l -> l.text().equals(text)).findFirst().orElseThrow();
    }
}
