package dev.tether.arch.amd64;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.arch.testing.GnuBinutils;
import dev.tether.guest.FaultAccess;
import dev.tether.spi.MachineCode;
import dev.tether.spi.TrapRegion;
import dev.tether.spi.support.Assembler.Line;
import dev.tether.spi.support.Assembler.Program;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The trap handler's machine code against GNU as, and the frame facts against the kernel's headers. */
class Amd64TrapHandlerTest {
    private final Program handler = Amd64TrapHandler.assemble();

    @Test
    void handlerIsWhatGnuAsMakesOfItsSource() {
        GnuBinutils.assertSameAsGnu(GnuBinutils.X86_64, "trap-handler", handler);
    }

    /** Each syscall instruction with the number loaded into rax last before it. */
    private List<Long> syscallNumbers() {
        List<Long> out = new ArrayList<>();
        long rax = -1;
        for (Line l : handler.lines()) {
            if (l.text().startsWith("movq $") && l.text().endsWith(",%rax")) {
                rax = Long.parseLong(l.text().substring(6, l.text().indexOf(',')));
            }
            if (l.text().equals("syscall")) {
                out.add(rax);
            }
        }
        return out;
    }

    @Test
    void theHandlerMakesOnlyTheCallsItsFilterAllows() {
        // FUTEX_WAKE, FUTEX_WAIT, arch_prctl(ARCH_SET_FS), rt_sigreturn (docs/trap.md, section 6)
        assertEquals(List.of((long) Amd64Sysno.SYS_FUTEX, (long) Amd64Sysno.SYS_FUTEX, (long) Amd64Sysno.SYS_ARCH_PRCTL,
                (long) Amd64Sysno.SYS_RT_SIGRETURN), syscallNumbers(), handler.listing());
    }

    @Test
    void theRestorerIsRtSigreturnAndTheHandlerFindsItsRegionFromTheStack() {
        MachineCode code = new Amd64TrapArch().handler();
        int r = code.syscallOffset();
        assertEquals(handler.offsetOf(Amd64TrapHandler.RESTORER), r);
        List<String> texts = new ArrayList<>();
        for (Line l : handler.lines()) {
            if (l.offset() >= r) {
                texts.add(l.text());
            }
        }
        assertEquals(List.of("movq $15,%rax", "syscall", "hlt"), texts);
        assertEquals("mov %rsp,%r12", handler.lines().get(0).text());
        assertEquals("and $" + (-TrapRegion.SIZE) + ",%r12", handler.lines().get(1).text());
        assertTrue(code.length() < 4096, "one page");
    }

    @Test
    void frameOffsetsFollowSigcontext64() {
        int[] off = new Amd64TrapArch().frameOffsets();
        List<String> names = Amd64RegisterLayout.NAMES;
        assertEquals(40, off[names.indexOf("r8")], "uc_mcontext after uc_flags, uc_link, uc_stack");
        assertEquals(40 + 13 * 8, off[names.indexOf("rax")]);
        assertEquals(40 + 16 * 8, off[names.indexOf("rip")]);
        assertEquals(40 + 17 * 8, off[names.indexOf("eflags")]);
        assertEquals(-1, off[names.indexOf("orig_rax")], "not in the frame");
        assertEquals(-1, off[names.indexOf("fs_base")], "not in the frame");
        assertEquals(224, Amd64TrapArch.FPSTATE, "sigcontext_64.fpstate, word 23 of uc_mcontext");
    }

    @Test
    void faultAccessComesFromThePageFaultErrorCode() {
        Amd64TrapArch arch = new Amd64TrapArch();
        ByteBuffer b = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        int uc = 1024;
        b.putLong(uc + Amd64TrapArch.ERR, 0x4);            // user-mode read of a missing page
        assertEquals(FaultAccess.READ, arch.faultAccess(b, uc, 11));
        b.putLong(uc + Amd64TrapArch.ERR, 0x6);            // user write
        assertEquals(FaultAccess.WRITE, arch.faultAccess(b, uc, 11));
        b.putLong(uc + Amd64TrapArch.ERR, 0x14);           // user instruction fetch
        assertEquals(FaultAccess.EXECUTE, arch.faultAccess(b, uc, 11));
        assertEquals(FaultAccess.UNKNOWN, arch.faultAccess(b, uc, 7), "SIGBUS has no error code");
    }

    @Test
    void fpLengthIsTheXstateSizeOrTheLegacyArea() {
        ByteBuffer b = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(512, Amd64TrapArch.fpStateLength(b, 0), "no FP_XSTATE_MAGIC1: FXSAVE only");
        b.putInt(464, 0x46505853).putInt(464 + 16, 2696);
        assertEquals(2696, Amd64TrapArch.fpStateLength(b, 0));
        b.putInt(464 + 16, 1 << 20);
        assertEquals(4096, Amd64TrapArch.fpStateLength(b, 0), "a forged xstate_size stops at the region's end");
    }

    /** A frame as the kernel lays it out in a region at REMOTE: the ucontext, and fpstate pointing after it. */
    private static final long REMOTE = 0x7f00_0000_0000L;
    private static final int UC = 0x8000;
    private static final int FP = 0x9000;

    private static ByteBuffer frame(long fpstate) {
        ByteBuffer b = ByteBuffer.allocate(TrapRegion.SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(TrapRegion.UCONTEXT, REMOTE + UC);
        b.putLong(UC + Amd64TrapArch.FPSTATE, fpstate);
        return b;
    }

    @Test
    void fpStateIsTheAreaBehindThePointerAndPutFpStateWritesItBack() {
        Amd64TrapArch arch = new Amd64TrapArch();
        assertEquals(512, arch.fpStateSize(), "NT_PRFPREG on x86-64: the FXSAVE area");
        ByteBuffer b = frame(REMOTE + FP);
        b.putInt(FP + 464, 0x46505853).putInt(FP + 464 + 16, 832); // xstate_size of an AVX machine
        b.putLong(FP + 160, 0x1122_3344_5566_7788L);              // xmm0's low half (FXSAVE layout)
        byte[] fp = arch.fpState(b, UC);
        assertEquals(832, fp.length);
        assertEquals(0x1122_3344_5566_7788L, ByteBuffer.wrap(fp).order(ByteOrder.LITTLE_ENDIAN).getLong(160));
        ByteBuffer.wrap(fp).order(ByteOrder.LITTLE_ENDIAN).putLong(160, 42);
        byte[] longer = java.util.Arrays.copyOf(fp, 4000);
        longer[3999] = 1;
        arch.putFpState(b, UC, longer);
        assertEquals(42, b.getLong(FP + 160));
        assertEquals(0, b.get(FP + 3999), "nothing written past the frame's own area");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> arch.putFpState(b, UC, new byte[100]));
        assertTrue(e.getMessage().contains("100 bytes"), e.getMessage());
    }

    @Test
    void anFpstatePointerOutsideTheRegionIsNotFollowed() {
        Amd64TrapArch arch = new Amd64TrapArch();
        for (long bad : new long[] {0, REMOTE - 8, REMOTE + TrapRegion.SIZE - 100, REMOTE + 2L * TrapRegion.SIZE + FP}) {
            ByteBuffer b = frame(bad);
            assertNull(arch.fpState(b, UC), Long.toHexString(bad));
            assertThrows(IllegalStateException.class, () -> arch.putFpState(b, UC, new byte[512]), Long.toHexString(bad));
        }
        assertNull(arch.fpState(frame(REMOTE + FP), -1), "a negative ucontext offset");
    }
}
