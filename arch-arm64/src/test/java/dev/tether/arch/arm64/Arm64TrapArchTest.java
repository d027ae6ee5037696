package dev.tether.arch.arm64;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.guest.FaultAccess;
import dev.tether.seccomp.Matcher;
import dev.tether.spi.TrapRegion;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The arm64 signal frame as {@link Arm64TrapArch} reads it: its offsets against the aarch64 cross
 * compiler's {@code offsetof} over arm64's own uapi headers (asm/ucontext.h, asm/sigcontext.h,
 * asm/ptrace.h; Debian's gcc-aarch64-linux-gnu and linux-libc-dev-arm64-cross), then the decoding of
 * frames built byte by byte at the compiler's offsets.
 */
class Arm64TrapArchTest {
    static final String CC = "aarch64-linux-gnu-gcc";
    /** name -> value, from the compiler. */
    static Map<String, Long> c;

    private final Arm64TrapArch arch = new Arm64TrapArch();

    @BeforeAll
    static void compileTheLayout() throws IOException, InterruptedException {
        String src = "#include <stddef.h>\n#include <asm/signal.h>\n#include <asm/sigcontext.h>\n#include <asm/ucontext.h>\n"
                + "#include <asm/ptrace.h>\n"
                + "#define O(n, t, f) const unsigned long v_##n = offsetof(t, f);\n"
                + "#define S(n, t) const unsigned long v_##n = sizeof(t);\n"
                + "O(mcontext, struct ucontext, uc_mcontext)\n"
                + "O(fault_address, struct ucontext, uc_mcontext.fault_address)\n"
                + "O(regs, struct ucontext, uc_mcontext.regs)\n"
                + "O(sp, struct ucontext, uc_mcontext.sp)\n"
                + "O(pc, struct ucontext, uc_mcontext.pc)\n"
                + "O(pstate, struct ucontext, uc_mcontext.pstate)\n"
                + "O(reserved, struct ucontext, uc_mcontext.__reserved)\n"
                + "S(reserved_size, ((struct sigcontext *)0)->__reserved)\n"
                + "S(fpsimd_context, struct fpsimd_context)\n"
                + "O(fpsimd_fpsr, struct fpsimd_context, fpsr)\n"
                + "O(fpsimd_fpcr, struct fpsimd_context, fpcr)\n"
                + "O(fpsimd_vregs, struct fpsimd_context, vregs)\n"
                + "S(esr_context, struct esr_context)\n"
                + "O(esr_esr, struct esr_context, esr)\n"
                + "S(user_fpsimd_state, struct user_fpsimd_state)\n"
                + "O(user_fpsr, struct user_fpsimd_state, fpsr)\n"
                + "O(user_fpcr, struct user_fpsimd_state, fpcr)\n"
                + "const unsigned long v_fpsimd_magic = FPSIMD_MAGIC;\n"
                + "const unsigned long v_esr_magic = ESR_MAGIC;\n";
        Path dir = Files.createDirectories(Path.of(System.getProperty("basedir", "."), "target", "trap-frame"));
        Path file = Files.writeString(dir.resolve("frame.c"), src, StandardCharsets.US_ASCII);
        Process p;
        try {
            p = new ProcessBuilder(CC, "-S", "-o", "-", file.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError(CC + " not found: install Debian's gcc-aarch64-linux-gnu (.ci/run does)", e);
        }
        p.getOutputStream().close();
        String asm = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError(CC + " did not finish in 60 s");
        }
        if (p.exitValue() != 0) {
            throw new AssertionError(CC + " -S " + file + " failed:\n" + asm);
        }
        Map<String, Long> out = new LinkedHashMap<>();
        var m = Pattern.compile("^v_(\\w+):\\s*\\n\\s*\\.xword\\s+(\\d+)", Pattern.MULTILINE).matcher(asm);
        while (m.find()) {
            out.put(m.group(1), Long.parseLong(m.group(2)));
        }
        assertEquals(19, out.size(), "every value of " + file + " in the assembly:\n" + asm);
        c = out;
    }

    static int c(String name) {
        return Math.toIntExact(c.get(name));
    }

    @Test
    void offsetsAreTheCompilers() {
        assertEquals(c("mcontext"), Arm64TrapArch.MCONTEXT);
        assertEquals(c("fault_address"), Arm64TrapArch.FAULT_ADDRESS);
        assertEquals(c("regs"), Arm64TrapArch.REGS);
        assertEquals(c("sp"), Arm64TrapArch.SP);
        assertEquals(c("pc"), Arm64TrapArch.PC);
        assertEquals(c("pstate"), Arm64TrapArch.PSTATE);
        assertEquals(c("reserved"), Arm64TrapArch.RESERVED);
        assertEquals(c("reserved_size"), Arm64TrapArch.RESERVED_SIZE);
        assertEquals(c("fpsimd_context"), Arm64TrapArch.FPSIMD_CONTEXT_SIZE);
        assertEquals(c("fpsimd_fpsr"), Arm64TrapArch.FPSIMD_FPSR);
        assertEquals(c("fpsimd_fpcr"), Arm64TrapArch.FPSIMD_FPSR + 4);
        assertEquals(c("fpsimd_vregs"), Arm64TrapArch.FPSIMD_VREGS);
        assertEquals(c("esr_context"), Arm64TrapArch.ESR_CONTEXT_SIZE);
        assertEquals(8, c("esr_esr"));
        assertEquals(c("user_fpsimd_state"), Arm64GuestArch.FPSIMD_SIZE);
        assertEquals(c("user_fpsr"), Arm64TrapArch.USER_FPSIMD_FPSR);
        assertEquals(c("user_fpcr"), Arm64TrapArch.USER_FPSIMD_FPSR + 4);
        assertEquals(c("fpsimd_magic"), Arm64TrapArch.FPSIMD_MAGIC);
        assertEquals(c("esr_magic"), Arm64TrapArch.ESR_MAGIC);

        int[] off = arch.frameOffsets();
        List<String> names = Arm64RegisterLayout.NAMES;
        assertEquals(names.size(), off.length);
        for (int i = 0; i <= 30; i++) {
            assertEquals(c("regs") + 8 * i, off[names.indexOf("x" + i)], "x" + i);
        }
        assertEquals(c("sp"), off[names.indexOf("sp")]);
        assertEquals(c("pc"), off[names.indexOf("pc")]);
        assertEquals(c("pstate"), off[names.indexOf("pstate")]);
    }

    /** A region with a frame at {@code uc}: registers, then the records {fpsimd, [esr], end}, at the compiler's offsets. */
    static ByteBuffer frame(int uc, Long esr) {
        ByteBuffer b = ByteBuffer.allocate(TrapRegion.SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(uc + c("fault_address"), 0xdead0000L);
        for (int i = 0; i <= 30; i++) {
            b.putLong(uc + c("regs") + 8 * i, 0x1000L + i);
        }
        b.putLong(uc + c("sp"), 0x7ff0_0000L).putLong(uc + c("pc"), 0x40_1234L).putLong(uc + c("pstate"), 0x8000_0000L);
        int r = uc + c("reserved");
        b.putInt(r, c("fpsimd_magic")).putInt(r + 4, c("fpsimd_context"));
        b.putInt(r + c("fpsimd_fpsr"), 0x0800_0010).putInt(r + c("fpsimd_fpcr"), 0x0300_0000);
        for (int i = 0; i < 512; i++) {
            b.put(r + c("fpsimd_vregs") + i, (byte) (i * 7 + 1));
        }
        r += c("fpsimd_context");
        if (esr != null) {
            b.putInt(r, c("esr_magic")).putInt(r + 4, c("esr_context")).putLong(r + c("esr_esr"), esr);
            r += c("esr_context");
        }
        b.putInt(r, 0).putInt(r + 4, 0); // the terminator
        return b;
    }

    /** Where the kernel puts a frame: at the top of the alternate stack, below the region's end. */
    static final int UC = TrapRegion.SIZE - 0x1400;

    @Test
    void registersAreReadFromTheFrameBuiltByteByByte() {
        ByteBuffer b = frame(UC, null);
        int[] off = arch.frameOffsets();
        List<String> names = Arm64RegisterLayout.NAMES;
        for (int i = 0; i <= 30; i++) {
            assertEquals(0x1000L + i, b.getLong(UC + off[names.indexOf("x" + i)]));
        }
        assertEquals(0x7ff0_0000L, b.getLong(UC + off[names.indexOf("sp")]));
        assertEquals(0x40_1234L, b.getLong(UC + off[names.indexOf("pc")]));
        assertEquals(0x8000_0000L, b.getLong(UC + off[names.indexOf("pstate")]));
    }

    @Test
    void fpStateIsTheFpsimdRecordInTheRegsetLayout() {
        ByteBuffer b = frame(UC, 0x92000047L);
        int rec = UC + c("reserved");
        assertEquals(rec, arch.fpStateOffset(b, UC));
        assertEquals(c("fpsimd_magic"), b.getInt(rec));
        byte[] fp = arch.fpState(b, UC);
        assertEquals(c("user_fpsimd_state"), fp.length);
        ByteBuffer f = ByteBuffer.wrap(fp).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 512; i++) {
            assertEquals((byte) (i * 7 + 1), fp[i], "V register byte " + i);
        }
        assertEquals(0x0800_0010, f.getInt(c("user_fpsr")));
        assertEquals(0x0300_0000, f.getInt(c("user_fpcr")));

        // Java's change goes back into the record, where rt_sigreturn reads it
        fp[0] = 0x55;
        f.putInt(c("user_fpsr"), 0x1f).putInt(c("user_fpcr"), 0x40_0000);
        arch.putFpState(b, UC, fp);
        assertEquals(0x55, b.get(rec + c("fpsimd_vregs")));
        assertEquals(0x1f, b.getInt(rec + c("fpsimd_fpsr")));
        assertEquals(0x40_0000, b.getInt(rec + c("fpsimd_fpcr")));
        assertEquals(c("fpsimd_magic"), b.getInt(rec), "the header is kept");
        assertEquals(0L, b.getLong(rec + c("fpsimd_context")), "the list ends after it (the esr record was there): no SVE record overrides it");
        assertArrayEquals(fp, arch.fpState(b, UC));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> arch.putFpState(b, UC, new byte[520]));
        assertTrue(e.getMessage().contains("520 bytes"), e.getMessage());
    }

    @Test
    void theFpStateSizeIsNtPrfpregs() {
        assertEquals(c("user_fpsimd_state"), arch.fpStateSize(), "sizeof(struct user_fpsimd_state), the NT_PRFPREG regset");
    }

    @Test
    void faultAccessComesFromTheEsrRecord() {
        // ESR_EL1 values the kernel reports for user faults (EC << 26 | IL | ISS): Data Abort from EL0 with
        // a level-3 translation fault (DFSC 7), WnR = bit 6; Instruction Abort from EL0; cache maintenance (CM, bit 8)
        assertEquals(FaultAccess.WRITE, arch.faultAccess(frame(UC, 0x92000047L), UC, 11));
        assertEquals(FaultAccess.READ, arch.faultAccess(frame(UC, 0x92000007L), UC, 11));
        assertEquals(FaultAccess.READ, arch.faultAccess(frame(UC, 0x92000147L), UC, 11), "dc civac: WnR set, but a read");
        assertEquals(FaultAccess.EXECUTE, arch.faultAccess(frame(UC, 0x82000007L), UC, 11));
        assertEquals(FaultAccess.WRITE, arch.faultAccess(frame(UC, 0x92000061L), UC, 7), "SIGBUS: alignment fault on a write");
        assertEquals(FaultAccess.UNKNOWN, arch.faultAccess(frame(UC, 0x02000000L), UC, 4), "SIGILL: EC 0, unknown reason");
        assertEquals(FaultAccess.UNKNOWN, arch.faultAccess(frame(UC, null), UC, 11), "no esr_context record");
        ByteBuffer w = frame(UC, 0x92000047L);
        assertEquals(0x92000047L, Arm64TrapArch.esr(w, Arm64TrapArch.record(w, UC, Arm64TrapArch.ESR_MAGIC, 16)));
        // the trap bundle's buffer is in native order; the frame is little-endian whatever the view says
        assertEquals(FaultAccess.WRITE, arch.faultAccess(w.order(ByteOrder.BIG_ENDIAN), UC, 11));
        assertEquals(UC + c("reserved"), arch.fpStateOffset(w.order(ByteOrder.BIG_ENDIAN), UC));
    }

    @Test
    void recordsAfterOthersAreFoundAndMalformedOnesEndTheWalk() {
        ByteBuffer b = frame(UC, 0x92000047L);
        int rec = UC + c("reserved");
        // an unknown record (e.g. sve_context, SVE_MAGIC) first: skipped by its size
        ByteBuffer s = frame(UC, null);
        s.putInt(rec, 0x53564501).putInt(rec + 4, 32);
        s.putInt(rec + 32, c("esr_magic")).putInt(rec + 36, c("esr_context")).putLong(rec + 40, 0x82000007L);
        s.putLong(rec + 48, 0);
        assertEquals(FaultAccess.EXECUTE, arch.faultAccess(s, UC, 11));
        assertEquals(-1, arch.fpStateOffset(s, UC), "no fpsimd record in that frame");
        assertNull(arch.fpState(s, UC));
        assertThrows(IllegalStateException.class, () -> arch.putFpState(s, UC, new byte[528]));

        // a guest can write its region: sizes of 0, not a multiple of 16, or past the region end the walk
        for (int bad : new int[] {0, 8, 20, Integer.MAX_VALUE, -16, TrapRegion.SIZE}) {
            ByteBuffer m = frame(UC, 0x92000047L);
            m.putInt(rec + 4, bad);
            assertEquals(FaultAccess.UNKNOWN, arch.faultAccess(m, UC, 11), "fpsimd size " + bad);
        }
        // a frame whose __reserved runs past the region: the walk stops at the region's end
        int high = TrapRegion.SIZE - c("reserved") - 16;
        ByteBuffer h = ByteBuffer.allocate(TrapRegion.SIZE).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(high + c("reserved"), 0x53564501).putInt(high + c("reserved") + 4, 16);
        assertEquals(FaultAccess.UNKNOWN, arch.faultAccess(h, high, 11));
        assertEquals(-1, arch.fpStateOffset(b, -1), "a negative ucontext offset");
        assertEquals(FaultAccess.WRITE, arch.faultAccess(b, UC, 11), "the well-formed frame still decodes");
    }

    @Test
    void arm64NeedsNoCallOfItsOwnButTheHandlerKeepsTheThreadPointer() {
        assertEquals(List.of(), arch.handlerRules(Matcher.ge(0x7f00_0000_0000L)), "msr tpidr_el0 is no system call");
        assertEquals(true, arch.tlsByHandler());
        assertEquals(false, arch.singleStepBySigreturn(), "PSTATE.SS in a frame is reset for an untraced thread");
        assertEquals("arm64", arch.arch());
    }

    @Test
    void aNewThreadsWholeFpStateIsNtPrfpreg() {
        assertEquals(Arm64GuestArch.NT_PRFPREG, arch.firstRunFpRegset());
        assertArrayEquals(new byte[Arm64GuestArch.FPSIMD_SIZE], arch.firstRunFpState(null), "all zero, a fresh thread's");
        byte[] mine = new byte[Arm64GuestArch.FPSIMD_SIZE];
        mine[0] = 1;
        mine[512] = 2; // FPSR
        assertArrayEquals(mine, arch.firstRunFpState(mine));
        assertThrows(IllegalArgumentException.class, () -> arch.firstRunFpState(new byte[512]));
    }
}
