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

    /** An operator's value is refused naming the configuration property, what it may be, and what it was. */
    @Test
    void aBadConfigurationValueNamesItsPropertyAndRange() {
        assertEquals("poolSize must be 0..4096, got -1", badConfig(Map.of("poolSize", -1)));
        assertEquals("poolSize must be 0..4096, got 4097", badConfig(Map.of("poolSize", 4097)));
        assertEquals("tracerThreads must be 1..64, got 0", badConfig(Map.of("tracerThreads", 0)));
        assertEquals("prefork must be 0..poolSize (16), got 17", badConfig(Map.of("prefork", 17)));
        assertEquals("prefork must be 0..poolSize (16), got -1", badConfig(Map.of("prefork", -1)));
        assertTrue(badConfig(Map.of("stubAddress", "top")).startsWith("stubAddress \"top\" is not an address"));
        // a value that cannot be converted (SCR: ComponentException; this test's proxy: ClassCastException)
        assertTrue(badConfig(Map.of("poolSize", "abc")).startsWith("poolSize must be an integer 0..4096: "));
        assertTrue(badConfig(Map.of("failureMode", "BOGUS")).startsWith("failureMode must be CONTAINED or FAIL_STOP: "));
        assertTrue(badConfig(Map.of("poolSize", "x".repeat(100_000))).length() < 300, "a huge value is cut short");
    }

    private static String badConfig(Map<String, Object> values) {
        return assertThrows(IllegalArgumentException.class, () -> Settings.of(Configs.of(values))).getMessage();
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
