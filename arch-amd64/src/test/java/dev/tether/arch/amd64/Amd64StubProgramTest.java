package dev.tether.arch.amd64;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.arch.amd64.X86Assembler.Line;
import dev.tether.arch.amd64.X86Assembler.Program;
import dev.tether.spi.MachineCode;
import dev.tether.spi.StubProgram;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class Amd64StubProgramTest {
    private final Amd64StubProgram program = new Amd64StubProgram();

    /** The reference encoding of spec §4.2 (assembled there with LLVM 14, executed in §11). */
    private static final String SPEC_4_2 = ""
            + "48c7c09d000000" + "48c7c701000000" + "48c7c609000000" + "0f05" + "4883f800" + "754e"
            + "48c7c06e000000" + "0f05" + "4883f800" + "7c3f" + "4c39f8" + "754a"
            + "48c7c027000000" + "0f05" + "4883f800" + "7c2b" + "48c7c300000000" + "4889c7"
            + "48c7c03e000000" + "48c7c613000000" + "0f05" + "4883fb01" + "7403" + "cc" + "ebfd"
            + "4883f800" + "7497" + "ebf5" + "4889c7" + "48f7df" + "48c7c03c000000" + "0f05" + "f4"
            + "48c7c03c000000" + "48c7c701000000" + "0f05" + "f4";

    @Test
    void stubMatchesGnuAs() {
        X86AssemblerTest.assertSameAsGnu("amd64-stub", Amd64StubProgram.assembleStub());
    }

    @Test
    void stubIsTheSpecReferenceEncoding() {
        MachineCode stub = program.stub();
        assertArrayEquals(HexFormat.of().parseHex(SPEC_4_2), stub.code(), stub.listing());
        assertEquals(140, stub.length());
        assertEquals(0, stub.entryOffset());
        assertEquals(0x58, stub.syscallOffset(), "the kill syscall (initRegs.rip = stubStart + 0x58)");
    }

    @Test
    void syscallOffsetIsTheKillSyscall() {
        Program p = Amd64StubProgram.assembleStub();
        int off = program.stub().syscallOffset();
        byte[] code = program.stub().code();
        assertEquals(0x0f, code[off]);
        assertEquals(0x05, code[off + 1]);
        List<String> before = texts(p, 0, off);
        assertEquals("movq $62,%rax", before.get(before.size() - 2), "kill");
        assertEquals("movq $19,%rsi", before.get(before.size() - 1), "SIGSTOP");
        assertEquals("movq $0,%rbx", before.get(before.size() - 4), "rbx = 0 before the stop");
        // After the stop: cmp $1,%rbx; je clone; int3 (spec §4.1)
        List<String> after = texts(p, off + 2, code.length);
        assertEquals(List.of("cmp $1,%rbx", "je clone", "int3", "jmp done"), after.subList(0, 4));
    }

    @Test
    void stubSyscallsAreThoseOfSpec41() {
        assertEquals(List.of("prctl", "getppid", "getpid", "kill", "exit", "exit"),
                syscallSequence(Amd64StubProgram.assembleStub()));
    }

    @Test
    void trampolineMatchesGnuAs() {
        X86AssemblerTest.assertSameAsGnu("amd64-trampoline", Amd64StubProgram.assembleTrampoline());
    }

    @Test
    void trampolineShape() {
        MachineCode t = program.trampoline();
        assertEquals(0, t.entryOffset());
        assertEquals(-1, t.syscallOffset());
        Program p = Amd64StubProgram.assembleTrampoline();
        assertArrayEquals(p.code(), t.code());
        assertEquals(List.of("rt_sigprocmask", "clone", "rt_sigprocmask", // parent
                "setsid", "rt_sigaction", "rt_sigprocmask", "rseq", "prctl", "seccomp", "arch_prctl", "exit"), // child
                syscallSequence(p));
    }

    @Test
    void trampolineParentPathKeepsTheCAbi() {
        Program p = Amd64StubProgram.assembleTrampoline();
        int child = p.offsetOf("child");
        List<String> parent = texts(p, 0, child);
        assertEquals(List.of("push %rbx", "push %r12"), parent.subList(0, 2));
        assertEquals(List.of("pop %r12", "pop %rbx", "ret"), parent.subList(parent.size() - 3, parent.size()));
        assertEquals(p.offsetOf("out"), lineAt(p, "pop %r12").offset());
        // Callee-saved registers other than the saved rbx/r12 are never written in the parent.
        Pattern writesCalleeSaved = Pattern.compile(",%(rbp|rsp|r13|r14|r15)$");
        for (String s : parent) {
            assertFalse(writesCalleeSaved.matcher(s).find(), "parent path writes a callee-saved register: " + s);
        }
        assertTrue(parent.contains("mov %rdi,%rbx"), "args pointer comes in rdi");
        assertTrue(parent.contains("mov %r12,%rax"), "the clone result is returned in rax");
    }

    @Test
    void trampolineReadsEveryArgumentWordAtItsOffset() {
        Program p = Amd64StubProgram.assembleTrampoline();
        Pattern mem = Pattern.compile("(?:^|[ ,])(\\d*)\\(%rbx\\)");
        Set<Integer> words = new TreeSet<>();
        for (Line l : p.lines()) {
            Matcher m = mem.matcher(l.text());
            if (m.find()) {
                words.add(m.group(1).isEmpty() ? 0 : Integer.parseInt(m.group(1)) / 8);
            }
        }
        assertEquals(new TreeSet<>(List.of(StubProgram.ARG_CLONE_FLAGS, StubProgram.ARG_STUB_ENTRY, StubProgram.ARG_PPID,
                StubProgram.ARG_FPROG, StubProgram.ARG_SECCOMP_FLAGS, StubProgram.ARG_RSEQ_OFFSET, StubProgram.ARG_RSEQ_LEN,
                StubProgram.ARG_RSEQ_SIG, StubProgram.ARG_CPUID_FAULT, StubProgram.ARG_FULL_SIGSET,
                StubProgram.ARG_SAVED_SIGSET, StubProgram.ARG_SIGACTION_DFL)), words);
        // The child ends by loading the ppid into r15 and jumping to the stub entry.
        assertTrue(texts(p, 0, p.code().length).contains("mov 16(%rbx),%r15"));
        assertTrue(texts(p, 0, p.code().length).contains("jmp *%rax"));
    }

    @Test
    void placementAndCpuidAndRseq() {
        assertEquals(0x7fffffff0000L, program.stubPlacementStart(4096));
        assertEquals(0x7fffffff0000L, program.stubPlacementStart(65536));
        assertEquals(0x7fffffe00000L, program.stubPlacementStart(2 << 20));
        assertThrows(IllegalArgumentException.class, () -> program.stubPlacementStart(0));
        assertThrows(IllegalArgumentException.class, () -> program.stubPlacementStart(3000));
        assertEquals(0x53053053, program.rseqSignature());
        assertEquals("amd64", program.arch());

        String with = "processor\t: 0\nflags\t\t: fpu vme cpuid_fault pti\n\nprocessor\t: 1\nflags\t\t: fpu cpuid_fault\n";
        String without = "processor\t: 0\nflags\t\t: fpu vme cpuid pti\n";
        String mixed = with + "processor\t: 2\nflags\t\t: fpu\n";
        String prefixOnly = "flags\t\t: fpu cpuid_faulting\n";
        assertTrue(program.cpuidFaulting(with));
        assertFalse(program.cpuidFaulting(without));
        assertFalse(program.cpuidFaulting(mixed), "every CPU must have it");
        assertFalse(program.cpuidFaulting(prefixOnly), "whole tokens only");
        assertFalse(program.cpuidFaulting(""));
        assertThrows(NullPointerException.class, () -> program.cpuidFaulting(null));
    }

    /** Names of the syscalls in program order: the last {@code movq $N,%rax} before each syscall. */
    static List<String> syscallSequence(Program p) {
        Amd64SyscallTable table = new Amd64SyscallTable();
        Pattern setRax = Pattern.compile("^movq \\$(\\d+),%rax$");
        List<String> out = new ArrayList<>();
        Integer nr = null;
        for (Line l : p.lines()) {
            Matcher m = setRax.matcher(l.text());
            if (m.matches()) {
                nr = Integer.valueOf(m.group(1));
            } else if (l.text().equals("syscall")) {
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

    private static Line lineAt(Program p, String text) {
        return p.lines().stream().filter(l -> l.text().equals(text)).findFirst().orElseThrow();
    }
}
