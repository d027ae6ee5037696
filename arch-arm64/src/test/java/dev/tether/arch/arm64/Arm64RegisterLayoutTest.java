package dev.tether.arch.arm64;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tether.api.Registers;
import dev.tether.arch.testing.RegisterLayoutContract;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class Arm64RegisterLayoutTest extends RegisterLayoutContract<Arm64RegisterLayout> {
    /** Spec §6.2 (purpose table) and §4.4. */
    Arm64RegisterLayoutTest() {
        super(new Arm64RegisterLayout(), new Facts("arm64", 34, "x8",
                List.of("x0", "x1", "x2", "x3", "x4", "x5"), "x0", "pc", "sp", 4, "x7", "x9"));
    }

    /** The byte offsets of struct user_pt_regs, as spec §6.2 gives them. */
    @ParameterizedTest(name = "{0} at {1}")
    @CsvSource({"x0,0", "x1,8", "x7,56", "x8,64", "x9,72", "x29,232", "x30,240", "sp,248", "pc,256", "pstate,264"})
    void fieldOffsetsMatchTheSpec(String name, int offset) {
        assertEquals(offset, 8 * layout.names().indexOf(name), name);
    }

    @Test
    void regsAreX0ToX30ThenSpPcPstate() {
        for (int i = 0; i <= 30; i++) {
            assertEquals("x" + i, layout.names().get(i));
        }
        assertEquals(List.of("sp", "pc", "pstate"), layout.names().subList(31, 34));
        assertEquals(272, layout.regsetSize());
        assertEquals("x30", layout.names().get(Arm64RegisterLayout.X30));
        assertEquals("pstate", layout.names().get(Arm64RegisterLayout.PSTATE));
    }

    @Test
    void injectedSyscallLooksLikeTheStubsKill() {
        long[] w = new long[34];
        w[Arm64RegisterLayout.X8] = 129; // kill, as at the stub's stop
        w[Arm64RegisterLayout.X7] = 4000;
        w[Arm64RegisterLayout.PC] = 0xffffffff0044L;
        Registers init = layout.wrap(w);
        // mmap(0, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) is 222 on arm64
        Registers r = layout.createSyscallRegs(init, 222, 0, 4096, 3, 0x22, -1, 0);
        assertEquals(222, r.get("x8"));
        assertEquals(4096, r.get("x1"));
        assertEquals(0x22, r.get("x3"));
        assertEquals(-1, r.get("x4"));
        assertEquals(0xffffffff0044L, r.get("pc"));
        assertEquals(4000, r.get("x7"));
        assertEquals(-12, layout.syscallReturnValue(r.with(Arm64RegisterLayout.X0, -12)), "-ENOMEM");
    }
}
