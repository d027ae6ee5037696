package dev.tether.arch.arm64;

import static dev.tether.arch.testing.ProgramText.lineAt;
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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class Arm64StubProgramTest extends StubProgramContract {
    /** gVisor's stub_arm64.s, assembled independently of this project's encoder, as 32-bit words. */
    private static final int[] REFERENCE_STUB = {
        0xd28014e8, 0xd2800020, 0xd2800121, 0xd4000001, 0xb13ffc1f, 0x54000282, 0xd28015a8, 0xd4000001,
        0xeb07001f, 0x54000281, 0xd2801588, 0xd4000001, 0xf100001f, 0x5400018b, 0xd2800009, 0xd2801028,
        0xd2800261, 0xd4000001, 0xf100053f, 0x54000060, 0xd4200060, 0x17ffffff, 0xf100001f, 0x54fffd20,
        0x17fffffc, 0xcb0003e0, 0xd2800ba8, 0xd4000001, 0xd4400000, 0xd2800ba8, 0xd2800020, 0xd4000001,
        0xd4400000,
    };

    /** The trampoline's syscalls: the parent's, then the child's; no arch_prctl (gVisor's attachedThread; docs/architecture.md, section 10). */
    private static final List<String> TRAMPOLINE_SYSCALLS = List.of(
            "rt_sigprocmask", "clone", "rt_sigprocmask",
            "setsid", "prctl", "rt_sigaction", "rt_sigprocmask", "rseq", "mseal", "prctl", "capset", "prctl", "seccomp", "exit");

    Arm64StubProgramTest() {
        super(new Arm64StubProgram(), Arm64StubProgram.assembleStub(), Arm64StubProgram.assembleTrampoline(),
                new Facts("arm64", GnuBinutils.AARCH64, new Arm64SyscallTable(),
                        Pattern.compile("^movz x8, #(\\d+)$"), "svc #0", TRAMPOLINE_SYSCALLS, Map.of(462, "mseal")));
    }

    @Test
    void stubIsTheSpecReferenceEncoding() {
        MachineCode stub = program.stub();
        byte[] expected = new byte[REFERENCE_STUB.length * 4];
        for (int i = 0; i < REFERENCE_STUB.length; i++) {
            for (int b = 0; b < 4; b++) {
                expected[4 * i + b] = (byte) (REFERENCE_STUB[i] >>> (8 * b));
            }
        }
        assertArrayEquals(expected, stub.code(), stub.listing());
        assertEquals(132, stub.length());
        assertEquals(0x44, stub.syscallOffset(), "the kill svc (initRegs.pc = stubStart + 0x44)");
    }

    @Test
    void syscallOffsetIsTheKillSvc() {
        int off = program.stub().syscallOffset();
        Line svc = lineAt(assembledStub, off);
        assertEquals("svc #0", svc.text());
        List<String> before = texts(assembledStub, 0, off);
        assertEquals(List.of("movz x9, #0", "movz x8, #129", "movz x1, #19"), before.subList(before.size() - 3, before.size()));
        assertEquals(List.of("cmp x9, #1", "b.eq clone", "brk #3", "b done"), texts(assembledStub, off + 4, off + 20));
    }

    @Test
    void trampolineParentPathKeepsTheCAbi() {
        List<String> parent = texts(assembledTrampoline, 0, assembledTrampoline.offsetOf("child"));
        assertEquals("stp x19, x20, [sp, #-16]!", parent.get(0));
        assertEquals("mov x19, x0", parent.get(1), "args pointer comes in x0");
        assertEquals(List.of("ldp x19, x20, [sp], #16", "ret"), parent.subList(parent.size() - 2, parent.size()));
        assertEquals(assembledTrampoline.offsetOf("out"), lineWith(assembledTrampoline, "ldp x19, x20, [sp], #16").offset());
        assertTrue(parent.contains("mov x0, x20"), "the clone result is returned in x0");
        // Only x19/x20 of the callee-saved x19..x29 are written, and never x30 or sp otherwise.
        Pattern writes = Pattern.compile("^(?!stp|ldp|str|cmp|cmn|b|cbz|cbnz|svc|ret)\\S+ (x(2[1-9]|30)|sp)\\b");
        for (String s : parent) {
            assertFalse(writes.matcher(s).find(), "parent path writes a callee-saved register: " + s);
        }
    }

    @Test
    void trampolineReadsEveryArgumentWordButCpuid() {
        Pattern mem = Pattern.compile("(?:\\[x19(?:, #(\\d+))?\\]|, x19, #(\\d+))");
        Set<Integer> words = new TreeSet<>();
        for (Line l : assembledTrampoline.lines()) {
            Matcher m = mem.matcher(l.text());
            if (m.find()) {
                String off = m.group(1) != null ? m.group(1) : m.group(2);
                words.add(off == null ? 0 : Integer.parseInt(off) / 8);
            }
        }
        assertEquals(new TreeSet<>(List.of(StubProgram.ARG_CLONE_FLAGS, StubProgram.ARG_STUB_ENTRY, StubProgram.ARG_PPID,
                StubProgram.ARG_FPROG, StubProgram.ARG_SECCOMP_FLAGS, StubProgram.ARG_RSEQ_OFFSET, StubProgram.ARG_RSEQ_LEN,
                StubProgram.ARG_RSEQ_SIG, StubProgram.ARG_FULL_SIGSET, StubProgram.ARG_SAVED_SIGSET,
                StubProgram.ARG_SIGACTION_DFL, StubProgram.ARG_SEAL_ADDRESS, StubProgram.ARG_SEAL_LENGTH,
                StubProgram.ARG_CAPBSET_COUNT, StubProgram.ARG_CAP_HEADER, StubProgram.ARG_CAP_DATA)), words);
        List<String> all = texts(assembledTrampoline);
        assertTrue(all.contains("ldr x7, [x19, #16]"), "x7 = ppid");
        assertTrue(all.contains("mrs x0, tpidr_el0"), "thread pointer");
    }

    @Test
    void capabilityStepsEndTheChildOnFailureAndMsealToleratesOnlyEnosysAndEperm() {
        List<String> child = texts(assembledTrampoline, assembledTrampoline.offsetOf("no_rseq"), assembledTrampoline.code().length);
        // mseal: -ENOSYS (38) and -EPERM (1) skip the sealing, any other error ends the child.
        int mseal = child.indexOf("movz x8, #462");
        assertEquals(List.of("svc #0", "cmn x0, #38", "b.eq no_seal", "cmn x0, #1", "b.eq no_seal", "cbnz x0, exit_neg"),
                child.subList(mseal + 1, mseal + 7));
        // The bounding-set loop counts x20 down from args[ARG_CAPBSET_COUNT] and stops at 0.
        int bset = child.indexOf("ldr x20, [x19, #" + 8 * StubProgram.ARG_CAPBSET_COUNT + "]");
        assertEquals(List.of("cbz x20, bset_done", "sub x20, x20, #1", "movz x0, #24", "mov x1, x20"),
                child.subList(bset + 1, bset + 5));
        assertEquals(List.of("movz x8, #167", "svc #0", "cbnz x0, exit_neg", "b bset_loop"),
                child.subList(bset + 8, bset + 12));
        // capset(&args[ARG_CAP_HEADER], &args[ARG_CAP_DATA]), then NO_NEW_PRIVS and the filter.
        int capset = child.indexOf("movz x8, #91");
        assertEquals(List.of("add x0, x19, #" + 8 * StubProgram.ARG_CAP_HEADER, "add x1, x19, #" + 8 * StubProgram.ARG_CAP_DATA),
                child.subList(capset - 2, capset));
        assertEquals(List.of("svc #0", "cbnz x0, exit_neg", "movz x0, #38"), child.subList(capset + 1, capset + 4));
        // exit_neg: exit(-x0)
        assertEquals(List.of("neg x0, x0", "movz x8, #93", "svc #0", "hlt #0"),
                texts(assembledTrampoline, assembledTrampoline.offsetOf("exit_neg"), assembledTrampoline.code().length));
    }

    /** ps names the stub: prctl(PR_SET_NAME = 15, "tether-stub") right after setsid, long before the filter. */
    @Test
    void theChildNamesItselfBeforeTheFilter() {
        List<String> child = texts(assembledTrampoline, assembledTrampoline.offsetOf("child"), assembledTrampoline.code().length);
        // "tether-s" and "tub\0\0\0\0\0", little-endian, stored as a pair below sp (low word first)
        long[] words = Arm64StubProgram.nameWords("tether-stub");
        assertEquals(0x732d726568746574L, words[0], "\"tether-s\"");
        assertEquals(0x627574L, words[1], "\"tub\"");
        int store = child.indexOf("stp x0, x1, [sp, #-16]!");
        assertTrue(store > 0, "the name is stored below sp: " + child);
        assertEquals(List.of("movz x0, #15", "add x1, sp, #0", "movz x8, #167", "svc #0", "cbnz x0, exit_neg"),
                child.subList(store + 1, store + 6), "prctl(PR_SET_NAME (15), sp) = syscall 167 (include/uapi/asm-generic/unistd.h)");
        assertTrue(store < child.indexOf("movz x8, #277"), "named before seccomp (277)");
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Arm64StubProgram.nameWords("sixteen-bytes-xx"));
    }

    @Test
    void placementAndCpuidAndRseq() {
        assertEquals(0xffffffff0000L, program.stubPlacementStart(4096));
        assertEquals(0xffffffff0000L, program.stubPlacementStart(16384));
        assertEquals(0xffffffff0000L, program.stubPlacementStart(65536));
        assertEquals(0xfffffffe0000L, program.stubPlacementStart(1 << 17));
        assertEquals(0xfffffffff000L, program.maximumUserAddress());
        assertEquals(0xd428bc00, program.rseqSignature());
        assertFalse(program.cpuidFaulting("processor\t: 0\nflags\t\t: fpu cpuid_fault\n"));
        assertFalse(program.cpuidFaulting("processor\t: 0\nFeatures\t: fp asimd cpuid\n"));
    }
}
