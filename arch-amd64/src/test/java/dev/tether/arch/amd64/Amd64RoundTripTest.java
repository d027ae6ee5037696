package dev.tether.arch.amd64;

import static dev.tether.arch.testing.ProgramText.syscallSequence;
import static dev.tether.arch.testing.ProgramText.texts;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.arch.testing.GnuBinutils;
import dev.tether.spi.MachineCode;
import dev.tether.spi.RoundTripBlock;
import dev.tether.spi.support.Assembler.Line;
import dev.tether.spi.support.Assembler.Program;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class Amd64RoundTripTest {
    private final Program p = Amd64RoundTrip.assemble();

    @Test
    void encodingsAreWhatGnuAsMakesOfTheSource() {
        GnuBinutils.assertSameAsGnu(GnuBinutils.X86_64, "amd64-round-trip", p);
    }

    @Test
    void theStubProgramOffersThisCode() {
        MachineCode c = new Amd64StubProgram().ptraceRoundTrip().orElseThrow();
        assertArrayEquals(p.code(), c.code());
        assertEquals(0, c.entryOffset());
    }

    @Test
    void itMakesTheRoundTripsSystemCallsInOrder() {
        // sets (a loop), the resume, the poll, the yield, the blocking wait, gets (a loop)
        assertEquals(List.of("ptrace", "ptrace", "wait4", "sched_yield", "wait4", "ptrace"),
                syscallSequence(p, new Amd64SyscallTable(), Pattern.compile("^movq \\$(\\d+),%rax$"), "syscall"));
        List<String> t = texts(p);
        assertTrue(t.contains("movq $" + 0x4205 + ",%rdi"), "PTRACE_SETREGSET: " + t);
        assertTrue(t.contains("movq $" + 0x4204 + ",%rdi"), "PTRACE_GETREGSET: " + t);
        assertTrue(t.contains("cmp $-4,%rax"), "the blocking wait is retried on -EINTR: " + t);
    }

    @Test
    void itKeepsTheCAbi() {
        List<String> t = texts(p);
        assertEquals("push %rbx", t.get(0));
        assertEquals(List.of("movq $0,%rax", "pop %rbx", "ret"), t.subList(t.size() - 3, t.size()));
        // rbx is the only callee-saved register written (saved above); rsp only by push/pop
        Pattern writes = Pattern.compile("^(?!push|pop|cmp|test|j)\\S+ \\S*,(%rbp|%r12|%r13|%r14|%r15|%rsp)$");
        for (String s : t) {
            assertTrue(!writes.matcher(s).find(), "writes a callee-saved register: " + s);
        }
    }

    @Test
    void itReadsAndWritesTheBlockOnlyAtItsOffsets() {
        Set<Integer> used = new TreeSet<>();
        Pattern mem = Pattern.compile("(-?\\d*)\\(%r8\\)");
        for (Line l : p.lines()) {
            Matcher m = mem.matcher(l.text());
            while (m.find()) {
                used.add(m.group(1).isEmpty() ? 0 : Integer.parseInt(m.group(1)));
            }
        }
        assertEquals(new TreeSet<>(List.of(RoundTripBlock.TID, RoundTripBlock.REQUEST, RoundTripBlock.WAIT_OPTIONS,
                RoundTripBlock.POLL_OPTIONS, RoundTripBlock.YIELD, RoundTripBlock.SETS_END, RoundTripBlock.GETS_END,
                RoundTripBlock.STATUS, RoundTripBlock.FAILED_AT, RoundTripBlock.ERRNO, RoundTripBlock.ENTRIES)), used);
    }
}
