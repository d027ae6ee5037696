package dev.tether.arch.amd64;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The XSAVE image a new trap guest thread's whole FP/vector state is written with (Intel SDM vol. 1, 13.4). */
class Amd64FirstRunFpStateTest {
    private final Amd64TrapArch arch = new Amd64TrapArch();

    @Test
    void theRegsetIsTheWholeXsaveArea() {
        assertEquals(Amd64GuestArch.NT_X86_XSTATE, arch.firstRunFpRegset());
    }

    @Test
    void aFreshThreadsImageHasEveryComponentInitial() {
        byte[] image = arch.firstRunFpState(null);
        assertEquals(Amd64GuestArch.MAX_XSTATE, image.length, "at least any kernel's XSAVE size: SETREGSET cuts it to the regset's");
        assertEquals(0x037f, (image[0] & 0xff) | (image[1] & 0xff) << 8, "FCW");
        assertEquals(0x1f80, (image[24] & 0xff) | (image[25] & 0xff) << 8, "MXCSR");
        assertTrue(allZero(image, 32, 512), "every x87 and SSE register zero, as a fresh thread's");
        assertEquals(3, image[512], "XSTATE_BV: x87 | SSE, held in the image with their initial values");
        assertTrue(allZero(image, 513, image.length), "and nothing else: every other component initial");
    }

    @Test
    void aLegacyStateIsTakenForX87AndSseAndTheRestIsInitial() {
        byte[] legacy = new byte[512];
        Arrays.fill(legacy, 0, 160, (byte) 0x5a);
        byte[] image = arch.firstRunFpState(legacy);
        assertArrayEquals(legacy, Arrays.copyOf(image, 512));
        assertEquals(3, image[512], "XSTATE_BV: x87 | SSE");
        assertTrue(allZero(image, 513, image.length));
    }

    @Test
    void aWholeXsaveAreaKeepsItsOwnHeader() {
        byte[] xsave = new byte[2688];
        xsave[512] = 7; // x87 | SSE | AVX
        xsave[576] = 0x11; // AVX's YMM_Hi128 component
        byte[] image = arch.firstRunFpState(xsave);
        assertArrayEquals(xsave, Arrays.copyOf(image, xsave.length));
        assertTrue(allZero(image, xsave.length, image.length));
    }

    @Test
    void aShortStateIsRefusedByName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> arch.firstRunFpState(new byte[100]));
        assertTrue(e.getMessage().contains("100 bytes"), e.getMessage());
    }

    private static boolean allZero(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    @Test
    void anMxcsrOutsideItsMaskIsRefusedByValue() {
        byte[] fp = Amd64GuestArch.freshFpState(512);
        arch.checkFpState(fp); // 0x1f80 within the default mask 0xffbf (MXCSR_MASK 0)
        fp[24] = 0x40; // DAZ (bit 6): outside the default mask 0xffbf
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> arch.checkFpState(fp));
        assertTrue(e.getMessage().contains("MXCSR 0x00001f40"), e.getMessage());
        fp[28] = (byte) 0xff; // MXCSR_MASK 0xffff: a CPU with DAZ
        fp[29] = (byte) 0xff;
        arch.checkFpState(fp);
    }
}
