package dev.tether.arch.amd64;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
        assertEquals(224, new Amd64TrapArch().fpStatePointerOffset());
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
        Amd64TrapArch arch = new Amd64TrapArch();
        ByteBuffer b = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(512, arch.fpStateLength(b, 0), "no FP_XSTATE_MAGIC1: FXSAVE only");
        b.putInt(464, 0x46505853).putInt(464 + 16, 2696);
        assertEquals(2696, arch.fpStateLength(b, 0));
    }
}
