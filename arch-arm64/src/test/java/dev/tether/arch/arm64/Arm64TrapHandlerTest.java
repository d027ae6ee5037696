package dev.tether.arch.arm64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.arch.testing.GnuBinutils;
import dev.tether.spi.MachineCode;
import dev.tether.spi.TrapRegion;
import dev.tether.spi.support.Assembler.Line;
import dev.tether.spi.support.Assembler.Program;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The arm64 trap handler's machine code against GNU as, and what it does, read from its own listing. */
class Arm64TrapHandlerTest {
    private final Program handler = Arm64TrapHandler.assemble();

    private List<String> texts() {
        return handler.lines().stream().map(Line::text).collect(Collectors.toList());
    }

    @Test
    void handlerIsWhatGnuAsMakesOfItsSource() {
        GnuBinutils.assertSameAsGnu(GnuBinutils.AARCH64, "trap-handler-arm64", handler);
    }

    /** Each svc with the six argument registers and x8 as the moves before it last set them. */
    private List<String> calls() {
        List<String> out = new ArrayList<>();
        String[] regs = new String[9];
        for (String t : texts()) {
            for (int r = 0; r <= 8; r++) {
                String p = "x" + r + ", ";
                if (t.startsWith("movz " + p) || t.startsWith("mov " + p)) {
                    regs[r] = t.substring(t.indexOf(p) + p.length());
                }
            }
            if (t.equals("svc #0")) {
                out.add(regs[8] + "(" + String.join(",", Arrays.asList(regs).subList(0, 6)) + ")");
                regs = new String[9];
            }
        }
        return out;
    }

    @Test
    void theHandlerMakesOnlyTheCallsItsFilterAllowsWithTheirArguments() {
        // futex(&STATE, FUTEX_WAKE, 1, 0, 0, 0), futex(&STATE, FUTEX_WAIT, EVENT, NULL, 0, 0), rt_sigreturn:
        // docs/trap.md, section 6 (arm64 numbers: futex 98, rt_sigreturn 139, include/uapi/asm-generic/unistd.h).
        // The handler's own x0..x2 are stored before the first call, so rt_sigreturn's are don't-cares.
        assertEquals(List.of("#98(x9,#1,#1,#0,#0,#0)", "#98(x9,#0,#1,#0,#0,#0)", "#139(null,null,null,null,null,null)"),
                calls(), handler.listing());
    }

    @Test
    void theRegionComesFromTheStackAndTheRestorerIsRtSigreturn() {
        MachineCode code = new Arm64TrapArch().handler();
        int r = code.syscallOffset();
        assertEquals(handler.offsetOf(Arm64TrapHandler.RESTORER), r);
        assertEquals(0, code.entryOffset());
        List<String> restorer = new ArrayList<>();
        for (Line l : handler.lines()) {
            if (l.offset() >= r) {
                restorer.add(l.text());
            }
        }
        assertEquals(List.of("movz x8, #139", "svc #0", "hlt #0"), restorer);
        assertEquals(List.of("add x9, sp, #0", "and x9, x9, #0x" + Long.toHexString(-TrapRegion.SIZE)), texts().subList(0, 2));
        assertEquals(List.of("str x0, [x9, #32]", "str x1, [x9, #40]", "str x2, [x9, #48]"), texts().subList(2, 5),
                "SIGNO, SIGINFO, UCONTEXT");
        assertTrue(code.length() < 2048, "below the struct sigaction at C + 0x800");
    }

    @Test
    void itReturnsThroughX30AndUsesOnlyArmV8Point0Instructions() {
        int rets = 0;
        for (String t : texts()) {
            assertFalse(t.matches("\\w+ (x30|sp), .*"), "x30 (sa_restorer) and sp stay as the kernel set them: " + t);
            // LSE atomics (FEAT_LSE) are undefined on the Cortex-A72 that arm64-check emulates
            assertFalse(t.matches("(swp|cas|ldadd|ldset|ldclr|stadd)\\w* .*"), t);
            rets += t.equals("ret") ? 1 : 0;
        }
        assertEquals(1, rets);
    }

    @Test
    void publishingIsReleasePlusFullBarrierAndPollingIsAcquire() {
        List<String> t = texts();
        // STATE := EVENT and GUEST_SLEEPING := 1: a store-release, then dmb ish before the other side's word is read
        int publish = t.indexOf("movz x10, #" + TrapRegion.EVENT);
        assertEquals(List.of("stlr x10, [x9]", "dmb ish", "ldr x10, [x9, #" + TrapRegion.JAVA_SLEEPING + "]"), t.subList(publish + 1, publish + 4));
        int sleep = t.indexOf("add x12, x9, #" + TrapRegion.GUEST_SLEEPING);
        assertEquals(List.of("movz x10, #1", "stlr x10, [x12]", "dmb ish", "ldar x10, [x9]", "cmp x10, #" + TrapRegion.RESUME),
                t.subList(sleep + 1, sleep + 6));
        assertEquals(2, t.stream().filter("ldar x10, [x9]"::equals).count(), "STATE is read with acquire in the poll and before sleeping");
        assertEquals(0, t.stream().filter(s -> s.startsWith("ldr") && s.endsWith("[x9]")).count(), "never a plain load of STATE");
        assertTrue(t.contains("yield") && t.contains("str xzr, [x9, #" + TrapRegion.GUEST_SLEEPING + "]"), handler.listing());
    }
}
