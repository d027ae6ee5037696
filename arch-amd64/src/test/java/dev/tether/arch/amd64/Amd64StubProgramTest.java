package dev.tether.arch.amd64;

import static dev.tether.arch.testing.ProgramText.lineWith;
import static dev.tether.arch.testing.ProgramText.texts;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.arch.testing.GnuBinutils;
import dev.tether.arch.testing.StubProgramContract;
import dev.tether.spi.MachineCode;
import dev.tether.spi.StubProgram;
import dev.tether.spi.support.Assembler.Line;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class Amd64StubProgramTest extends StubProgramContract {
    /**
     * gVisor's stub_amd64.s, assembled independently of this project's encoder (LLVM 14's
     * llvm-mc) and run on Linux 6.18 before the port (docs/architecture.md, section 10).
     */
    private static final String REFERENCE_STUB = ""
            + "48c7c09d000000" + "48c7c701000000" + "48c7c609000000" + "0f05" + "4883f800" + "754e"
            + "48c7c06e000000" + "0f05" + "4883f800" + "7c3f" + "4c39f8" + "754a"
            + "48c7c027000000" + "0f05" + "4883f800" + "7c2b" + "48c7c300000000" + "4889c7"
            + "48c7c03e000000" + "48c7c613000000" + "0f05" + "4883fb01" + "7403" + "cc" + "ebfd"
            + "4883f800" + "7497" + "ebf5" + "4889c7" + "48f7df" + "48c7c03c000000" + "0f05" + "f4"
            + "48c7c03c000000" + "48c7c701000000" + "0f05" + "f4";

    /** The trampoline's syscalls: the parent's, then the child's (gVisor's attachedThread; docs/architecture.md, section 10). */
    private static final List<String> TRAMPOLINE_SYSCALLS = List.of(
            "rt_sigprocmask", "clone", "rt_sigprocmask",
            "setsid", "prctl", "rt_sigaction", "rt_sigprocmask", "rseq", "mseal", "prctl", "capset", "prctl", "seccomp",
            "arch_prctl", "exit");

    Amd64StubProgramTest() {
        super(new Amd64StubProgram(), Amd64StubProgram.assembleStub(), Amd64StubProgram.assembleTrampoline(),
                new Facts("amd64", GnuBinutils.X86_64, new Amd64SyscallTable(),
                        Pattern.compile("^movq \\$(\\d+),%rax$"), "syscall", TRAMPOLINE_SYSCALLS, Map.of(462, "mseal")));
    }

    @Test
    void stubIsTheSpecReferenceEncoding() {
        MachineCode stub = program.stub();
        assertArrayEquals(HexFormat.of().parseHex(REFERENCE_STUB), stub.code(), stub.listing());
        assertEquals(140, stub.length());
        assertEquals(0x58, stub.syscallOffset(), "the kill syscall (initRegs.rip = stubStart + 0x58)");
    }

    @Test
    void syscallOffsetIsTheKillSyscall() {
        int off = program.stub().syscallOffset();
        byte[] code = program.stub().code();
        assertEquals(0x0f, code[off]);
        assertEquals(0x05, code[off + 1]);
        List<String> before = texts(assembledStub, 0, off);
        assertEquals("movq $62,%rax", before.get(before.size() - 2), "kill");
        assertEquals("movq $19,%rsi", before.get(before.size() - 1), "SIGSTOP");
        assertEquals("movq $0,%rbx", before.get(before.size() - 4), "rbx = 0 before the stop");
        // After the stop: cmp $1,%rbx; je clone; int3 (stub_amd64.s)
        List<String> after = texts(assembledStub, off + 2, code.length);
        assertEquals(List.of("cmp $1,%rbx", "je clone", "int3", "jmp done"), after.subList(0, 4));
    }

    @Test
    void trampolineParentPathKeepsTheCAbi() {
        List<String> parent = texts(assembledTrampoline, 0, assembledTrampoline.offsetOf("child"));
        assertEquals(List.of("push %rbx", "push %r12"), parent.subList(0, 2));
        assertEquals(List.of("pop %r12", "pop %rbx", "ret"), parent.subList(parent.size() - 3, parent.size()));
        assertEquals(assembledTrampoline.offsetOf("out"), lineWith(assembledTrampoline, "pop %r12").offset());
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
        Pattern mem = Pattern.compile("(?:^|[ ,])(\\d*)\\(%rbx\\)");
        Set<Integer> words = new TreeSet<>();
        for (Line l : assembledTrampoline.lines()) {
            Matcher m = mem.matcher(l.text());
            if (m.find()) {
                words.add(m.group(1).isEmpty() ? 0 : Integer.parseInt(m.group(1)) / 8);
            }
        }
        assertEquals(new TreeSet<>(List.of(StubProgram.ARG_CLONE_FLAGS, StubProgram.ARG_STUB_ENTRY, StubProgram.ARG_PPID,
                StubProgram.ARG_FPROG, StubProgram.ARG_SECCOMP_FLAGS, StubProgram.ARG_RSEQ_OFFSET, StubProgram.ARG_RSEQ_LEN,
                StubProgram.ARG_RSEQ_SIG, StubProgram.ARG_CPUID_FAULT, StubProgram.ARG_FULL_SIGSET,
                StubProgram.ARG_SAVED_SIGSET, StubProgram.ARG_SIGACTION_DFL, StubProgram.ARG_SEAL_ADDRESS,
                StubProgram.ARG_SEAL_LENGTH, StubProgram.ARG_CAPBSET_COUNT, StubProgram.ARG_CAP_HEADER,
                StubProgram.ARG_CAP_DATA)), words);
        // The child ends by loading the ppid into r15 and jumping to the stub entry.
        assertTrue(texts(assembledTrampoline).contains("mov 16(%rbx),%r15"));
        assertTrue(texts(assembledTrampoline).contains("jmp *%rax"));
    }

    @Test
    void capabilityStepsEndTheChildOnFailureAndMsealToleratesOnlyEnosysAndEperm() {
        List<String> child = texts(assembledTrampoline, assembledTrampoline.offsetOf("no_rseq"), assembledTrampoline.code().length);
        // mseal: -ENOSYS (38) and -EPERM (1) skip the sealing, any other error ends the child.
        int mseal = child.indexOf("movq $462,%rax");
        assertEquals(List.of("syscall", "cmp $-38,%rax", "je no_seal", "cmp $-1,%rax", "je no_seal", "test %rax,%rax",
                "jne exit_neg"), child.subList(mseal + 1, mseal + 8));
        // The bounding-set loop counts r12 down from args[ARG_CAPBSET_COUNT] and stops at 0.
        int bset = child.indexOf("mov " + 8 * StubProgram.ARG_CAPBSET_COUNT + "(%rbx),%r12");
        assertEquals(List.of("test %r12,%r12", "je bset_done", "sub $1,%r12", "movq $157,%rax", "movq $24,%rdi",
                "mov %r12,%rsi"), child.subList(bset + 1, bset + 7));
        assertEquals(List.of("syscall", "test %rax,%rax", "jne exit_neg", "jmp bset_loop"),
                child.subList(bset + 10, bset + 14));
        // capset(&args[ARG_CAP_HEADER], &args[ARG_CAP_DATA]), then NO_NEW_PRIVS and the filter.
        int capset = child.indexOf("movq $126,%rax");
        assertEquals(List.of("lea " + 8 * StubProgram.ARG_CAP_HEADER + "(%rbx),%rdi",
                "lea " + 8 * StubProgram.ARG_CAP_DATA + "(%rbx),%rsi", "syscall", "test %rax,%rax", "jne exit_neg",
                "movq $157,%rax", "movq $38,%rdi"), child.subList(capset + 1, capset + 8));
        // exit_neg: exit(-rax)
        assertEquals(List.of("mov %rax,%rdi", "neg %rdi", "movq $60,%rax", "syscall", "hlt"),
                texts(assembledTrampoline, assembledTrampoline.offsetOf("exit_neg"), assembledTrampoline.code().length));
    }

    /** ps names the stub: prctl(PR_SET_NAME = 15, "tether-stub") right after setsid, long before the filter. */
    @Test
    void theChildNamesItselfBeforeTheFilter() {
        List<String> child = texts(assembledTrampoline, assembledTrampoline.offsetOf("child"), assembledTrampoline.code().length);
        int setsid = child.indexOf("movq $112,%rax"); // setsid, arch/x86/entry/syscalls/syscall_64.tbl
        // "tether-s" and "tub\0\0\0\0\0" as little-endian words, pushed high word first
        long low = 0, high = 0;
        byte[] name = "tether-stub".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        for (int i = 0; i < name.length; i++) {
            if (i < 8) {
                low |= (name[i] & 0xffL) << (8 * i);
            } else {
                high |= (name[i] & 0xffL) << (8 * (i - 8));
            }
        }
        assertEquals(List.of("movq $" + high + ",%rdi", "push %rdi", "movabsq $" + low + ",%rdi", "push %rdi",
                "movq $157,%rax", "movq $15,%rdi", "mov %rsp,%rsi", "syscall", "test %rax,%rax", "jne exit_neg"),
                child.subList(setsid + 4, setsid + 14));
        assertTrue(child.indexOf("movq $15,%rdi") < child.indexOf("movq $317,%rax"), "named before seccomp (317)");
        assertArrayEquals(new long[] {low, high}, Amd64StubProgram.nameWords("tether-stub"));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Amd64StubProgram.nameWords("sixteen-bytes-xx"));
    }

    @Test
    void placementAndCpuidAndRseq() {
        assertEquals(0x7fffffff0000L, program.stubPlacementStart(4096));
        assertEquals(0x7fffffff0000L, program.stubPlacementStart(65536));
        assertEquals(0x7fffffe00000L, program.stubPlacementStart(2 << 20));
        assertEquals(0x7ffffffff000L, program.maximumUserAddress());
        assertEquals(0x53053053, program.rseqSignature());

        String with = "processor\t: 0\nflags\t\t: fpu vme cpuid_fault pti\n\nprocessor\t: 1\nflags\t\t: fpu cpuid_fault\n";
        String without = "processor\t: 0\nflags\t\t: fpu vme cpuid pti\n";
        String mixed = with + "processor\t: 2\nflags\t\t: fpu\n";
        String prefixOnly = "flags\t\t: fpu cpuid_faulting\n";
        assertTrue(program.cpuidFaulting(with));
        assertFalse(program.cpuidFaulting(without));
        assertFalse(program.cpuidFaulting(mixed), "every CPU must have it");
        assertFalse(program.cpuidFaulting(prefixOnly), "whole tokens only");
        assertFalse(program.cpuidFaulting(""));
    }
}
