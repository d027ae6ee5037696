package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.api.PlatformFacts;
import dev.tether.api.Stub;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A configuration value the platform refuses is one log line naming the property and its range,
 * never a stack trace: SCR logs whatever {@code modified} or {@code activate} throws, with its
 * stack trace, on the console of {@code tether shell}. Outside OSGi the component logs through
 * {@link System.Logger}, that is java.util.logging, which these tests listen to.
 */
@ExtendWith(NoLeftoverProcesses.class)
class ConfigurationRefusalKernelTest {
    private final List<LogRecord> records = new ArrayList<>();
    private final Logger jul = Logger.getLogger(StubPlatformComponent.class.getName());
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord r) {
            if (r.getLevel().intValue() >= Level.SEVERE.intValue()) {
                records.add(r);
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void listen() {
        jul.addHandler(handler);
    }

    @AfterEach
    void stopListening() {
        jul.removeHandler(handler);
    }

    @Test
    void aRefusedValueIsOneLineNamingThePropertyAndChangesNothing() {
        StubPlatformComponent c = Configs.component();
        Configs.activate(c, Map.of());
        try {
            PlatformFacts facts = c.facts();
            Stub witness = c.createStub();
            List<Map<String, Object>> bad = List.of(Map.of("poolSize", -1), Map.of("prefork", 17), Map.of("tracerThreads", 0),
                    Map.of("stubAddress", "top"), Map.of("stubAddress", "0x" + Long.toHexString(facts.stubAddress() + 1)));
            for (Map<String, Object> values : bad) {
                assertDoesNotThrow(() -> Configs.modify(c, values), values::toString);
            }
            List<String> messages = records.stream().map(LogRecord::getMessage).toList();
            String stays = "; running with " + Settings.defaults().describe() + " (the platform stays as it was)";
            assertEquals(List.of(
                    "configuration dev.tether.core refused: poolSize=-1: must be 0..4096" + stays,
                    "configuration dev.tether.core refused: prefork=17: must be 0..poolSize (16)" + stays,
                    "configuration dev.tether.core refused: tracerThreads=0: must be 1..64" + stays),
                    messages.subList(0, 3));
            assertTrue(messages.get(3).contains("stubAddress=top: not an address"), messages.get(3));
            assertTrue(messages.get(4).contains("page-aligned"), messages.get(4));
            assertEquals("stubAddress=0x" + Long.toHexString(facts.stubAddress() + 1) + ": ",
                    c.status().configRefusal().substring(0, ("stubAddress=0x" + Long.toHexString(facts.stubAddress() + 1) + ": ").length()),
                    "the status keeps the last refusal");
            assertEquals(bad.size(), records.size(), messages::toString);
            for (LogRecord r : records) {
                assertNull(r.getThrown(), () -> "no stack trace for a refused value: " + r.getMessage());
            }
            assertEquals(facts, c.facts(), "refused: nothing changed");
            assertTrue(witness.alive(), "refused: the platform's stub lives");
            Configs.modify(c, Map.of("poolSize", 2));
            assertEquals(facts, c.facts(), "a good value still applies to the running platform");
            assertNull(c.status().configRefusal(), "an accepted configuration ends the refusal");
            witness.close();
        } finally {
            c.deactivate();
        }
    }

    /**
     * Config Admin keeps a refused value, so it comes back at the next start: the platform then
     * starts with the defaults and says why, first, in one line without a stack trace.
     */
    @Test
    void aRefusedFirstConfigurationStartsTheDefaultsAndSaysWhy() {
        StubPlatformComponent c = Configs.component();
        assertDoesNotThrow(() -> Configs.activate(c, Map.of("poolSize", -1, "failureMode", "Fail-Stop")));
        try {
            assertEquals(Settings.defaults().failureMode(), c.facts().failureMode(), "the defaults run");
            assertEquals(Settings.defaults().tracerThreads(), c.facts().tracerThreads());
            assertEquals(1, records.size());
            assertEquals("configuration dev.tether.core refused: poolSize=-1: must be 0..4096; starting with the defaults",
                    records.get(0).getMessage());
            assertNull(records.get(0).getThrown());
            assertEquals("configuration refused: poolSize=-1: must be 0..4096; running with the defaults ("
                    + Settings.defaults().describe() + ")", c.status().problem());
            Configs.modify(c, Map.of("failureMode", "fail-stop"));
            assertEquals(dev.tether.api.FailureMode.FAIL_STOP, c.facts().failureMode(), "the printed spelling is taken");
            assertEquals("", c.status().problem());
        } finally {
            c.deactivate();
        }
    }
}
