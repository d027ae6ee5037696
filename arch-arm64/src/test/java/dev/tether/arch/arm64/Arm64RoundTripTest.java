package dev.tether.arch.arm64;

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

class Arm64RoundTripTest {
    private final Program p = Arm64RoundTrip.assemble();

    @Test
    void encodingsAreWhatGnuAsMakesOfTheSource() {
        GnuBinutils.assertSameAsGnu(GnuBinutils.AARCH64, "arm64-round-trip", p);
    }

    @Test
    void theStubProgramOffersThisCode() {
        MachineCode c = new Arm64StubProgram().ptraceRoundTrip().orElseThrow();
        assertArrayEquals(p.code(), c.code());
        assertEquals(0, c.entryOffset());
    }

    @Test
    void itMakesTheRoundTripsSystemCallsInOrder() {
        assertEquals(List.of("ptrace", "ptrace", "wait4", "sched_yield", "wait4", "ptrace"),
                syscallSequence(p, new Arm64SyscallTable(), Pattern.compile("^movz x8, #(\\d+)$"), "svc #0"));
        List<String> t = texts(p);
        assertTrue(t.contains("movz x0, #" + 0x4205), "PTRACE_SETREGSET: " + t);
        assertTrue(t.contains("movz x0, #" + 0x4204), "PTRACE_GETREGSET: " + t);
        assertTrue(t.contains("cmn x0, #4"), "the blocking wait is retried on -EINTR: " + t);
    }

    @Test
    void itKeepsTheCAbiWithoutAStack() {
        List<String> t = texts(p);
        assertEquals(List.of("movz x0, #0", "ret"), t.subList(t.size() - 2, t.size()));
        // only x0..x3 (arguments), x8 (the syscall number) and x9..x11 (temporaries) are written;
        // no callee-saved register, no sp, no x30
        Pattern dest = Pattern.compile("^(mov|movz|movk|add|ldr) (x\\d+|sp|xzr)\\b");
        for (String s : t) {
            Matcher m = dest.matcher(s);
            if (m.find()) {
                assertTrue(Set.of("x0", "x1", "x2", "x3", "x8", "x9", "x10", "x11").contains(m.group(2)), "writes " + s);
            }
            assertTrue(!s.startsWith("stp") && !s.startsWith("ldp") && !s.contains("sp"), "uses the stack: " + s);
        }
    }

    @Test
    void itReadsAndWritesTheBlockOnlyAtItsOffsets() {
        Set<Integer> used = new TreeSet<>();
        Pattern mem = Pattern.compile("(?:\\[x9(?:, #(\\d+))?\\]|, x9, #(\\d+))");
        for (Line l : p.lines()) {
            Matcher m = mem.matcher(l.text());
            while (m.find()) {
                String off = m.group(1) != null ? m.group(1) : m.group(2);
                used.add(off == null ? 0 : Integer.parseInt(off));
            }
        }
        assertEquals(new TreeSet<>(List.of(RoundTripBlock.TID, RoundTripBlock.REQUEST, RoundTripBlock.WAIT_OPTIONS,
                RoundTripBlock.POLL_OPTIONS, RoundTripBlock.YIELD, RoundTripBlock.SETS_END, RoundTripBlock.GETS_END,
                RoundTripBlock.STATUS, RoundTripBlock.FAILED_AT, RoundTripBlock.ERRNO, RoundTripBlock.ENTRIES)), used);
    }
}
