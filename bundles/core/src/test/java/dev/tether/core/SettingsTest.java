package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.api.FailureMode;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingsTest {
    @Test
    void configurationMapsToSettings() {
        Settings s = Settings.of(Configs.of(Map.of("failureMode", FailureMode.FAIL_STOP, "tracerThreads", 4,
                "poolSize", 8, "prefork", 2, "stubAddress", "0x7ffe00000000")));
        assertEquals(new Settings(FailureMode.FAIL_STOP, 4, 8, 2, 0x7ffe00000000L), s);
        assertEquals(new Settings(FailureMode.CONTAINED, 2, 16, 0, 0), Settings.of(Configs.of(Map.of())));
    }

    @Test
    void stubAddressesAsOperatorsWriteThem() {
        assertEquals(0, Settings.parseAddress(""));
        assertEquals(0, Settings.parseAddress("  "));
        assertEquals(0, Settings.parseAddress(null));
        assertEquals(0x7fffffff0000L, Settings.parseAddress("0x7fffffff0000"));
        assertEquals(0x7fffffff0000L, Settings.parseAddress(" 0X7FFFFFFF0000 "));
        assertEquals(4096, Settings.parseAddress("4096"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Settings.parseAddress("0xzz"));
        assertTrue(e.getMessage().contains("\"0xzz\""), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Settings.parseAddress("-4096"));
        assertThrows(IllegalArgumentException.class, () -> new Settings(FailureMode.CONTAINED, 2, 16, 0, -4096));
    }

    @Test
    void badValuesNameThemselves() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Settings(FailureMode.CONTAINED, 2, 4097, 0))
                .getMessage().contains("4097"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Settings(FailureMode.CONTAINED, 2, 4, 5))
                .getMessage().contains("pre-fork"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Settings(FailureMode.CONTAINED, 65))
                .getMessage().contains("65"));
    }

    @Test
    void onlyPoolSettingsLeaveTheStructure() {
        Settings base = new Settings(FailureMode.CONTAINED, 2, 16, 0, 0);
        assertTrue(base.sameStructure(new Settings(FailureMode.CONTAINED, 2, 0, 0, 0)));
        assertTrue(base.sameStructure(new Settings(FailureMode.CONTAINED, 2, 8, 8, 0)));
        assertFalse(base.sameStructure(new Settings(FailureMode.FAIL_STOP, 2, 16, 0, 0)));
        assertFalse(base.sameStructure(new Settings(FailureMode.CONTAINED, 3, 16, 0, 0)));
        assertFalse(base.sameStructure(new Settings(FailureMode.CONTAINED, 2, 16, 0, 0x10000)));
    }
}
