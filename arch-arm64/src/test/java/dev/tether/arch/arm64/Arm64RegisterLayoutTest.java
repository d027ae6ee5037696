package dev.tether.arch.arm64;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tether.arch.testing.RegisterLayoutContract;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class Arm64RegisterLayoutTest extends RegisterLayoutContract<Arm64RegisterLayout> {
    /** syscall(2)'s arm64 convention; initChildProcessPPID's X7/X9 (gVisor's subprocess_arm64.go). */
    Arm64RegisterLayoutTest() {
        super(new Arm64RegisterLayout(), new Facts("arm64", 34, "x8",
                List.of("x0", "x1", "x2", "x3", "x4", "x5"), "x0", "pc", "sp", 4, "x7", "x9"));
    }

    /** The byte offsets of struct user_pt_regs, as arch/arm64/include/uapi/asm/ptrace.h declares them. */
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
}
