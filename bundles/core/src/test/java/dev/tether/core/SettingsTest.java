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
        Settings s = of(Map.of("failureMode", FailureMode.FAIL_STOP, "tracerThreads", 4,
                "poolSize", 8, "prefork", 2, "stubAddress", "0x7ffe00000000"));
        assertEquals(new Settings(FailureMode.FAIL_STOP, 4, 8, 2, 0x7ffe00000000L), s);
        assertEquals(new Settings(FailureMode.CONTAINED, 2, 16, 0, 0), of(Map.of()));
        assertEquals(Settings.defaults(), of(Map.of()), "the defaults are the Metatype's");
    }

    /** The spellings operators see printed (tether:info, the log) and write, in any case. */
    @Test
    void failureModesAsOperatorsWriteThem() {
        for (String v : new String[] {"fail-stop", "FAIL_STOP", "failStop", "Fail-Stop", "failstop", " fail_stop "}) {
            assertEquals(FailureMode.FAIL_STOP, of(Map.of("failureMode", v)).failureMode(), v);
        }
        for (String v : new String[] {"contained", "CONTAINED", "Contained"}) {
            assertEquals(FailureMode.CONTAINED, of(Map.of("failureMode", v)).failureMode(), v);
        }
        assertEquals("fail-stop", Settings.printed(FailureMode.FAIL_STOP));
        RefusedValueException e = assertThrows(RefusedValueException.class, () -> of(Map.of("failureMode", "fail stop!")));
        assertEquals("failureMode", e.key());
        assertEquals("fail stop!", e.value());
        assertTrue(e.getMessage().startsWith("failureMode=fail stop!: must be contained or fail-stop"), e.getMessage());
    }

    @Test
    void settingsDescribeThemselvesAsProperties() {
        assertEquals("failureMode=contained, tracerThreads=2, poolSize=16, prefork=0, stubAddress=(the arch's placement),"
                + " cpuidFaulting=true", Settings.defaults().describe());
        assertTrue(new Settings(FailureMode.FAIL_STOP, 3, 4, 1, 0x7ffe0000L).describe().contains("stubAddress=0x7ffe0000"));
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
        assertTrue(e.getMessage().startsWith("stubAddress=0xzz: "), e.getMessage());
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
        assertEquals("poolSize=-1: must be 0..4096", badConfig(Map.of("poolSize", -1)));
        assertEquals("poolSize=4097: must be 0..4096", badConfig(Map.of("poolSize", 4097)));
        assertEquals("tracerThreads=0: must be 1..64", badConfig(Map.of("tracerThreads", 0)));
        assertEquals("prefork=17: must be 0..poolSize (16)", badConfig(Map.of("prefork", 17)));
        assertEquals("prefork=-1: must be 0..poolSize (16)", badConfig(Map.of("prefork", -1)));
        assertTrue(badConfig(Map.of("stubAddress", "top")).startsWith("stubAddress=top: not an address"));
        assertTrue(badConfig(Map.of("stubAddress", "0xffffffffffffffff")).startsWith("stubAddress=0xffffffffffffffff: "));
        // a value that cannot be converted (SCR: ComponentException; this test's proxy: ClassCastException)
        assertEquals("poolSize=abc: must be an integer 0..4096", badConfig(Map.of("poolSize", "abc")));
        assertTrue(badConfig(Map.of("failureMode", "BOGUS")).startsWith("failureMode=BOGUS: must be contained or fail-stop"));
        assertTrue(badConfig(Map.of("poolSize", "x".repeat(100_000))).length() < 300, "a huge value is cut short");
    }

    private static String badConfig(Map<String, Object> values) {
        return assertThrows(RefusedValueException.class, () -> of(values)).getMessage();
    }

    private static Settings of(Map<String, Object> values) {
        return Settings.of(values, Configs.of(values));
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
