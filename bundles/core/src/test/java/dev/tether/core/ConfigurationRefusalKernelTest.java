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
            assertEquals(List.of(
                    "configuration dev.tether.core refused, the platform stays as it was: poolSize must be 0..4096, got -1",
                    "configuration dev.tether.core refused, the platform stays as it was: prefork must be 0..poolSize (16), got 17",
                    "configuration dev.tether.core refused, the platform stays as it was: tracerThreads must be 1..64, got 0"),
                    messages.subList(0, 3));
            assertTrue(messages.get(3).contains("stubAddress \"top\" is not an address"), messages.get(3));
            assertTrue(messages.get(4).contains("page-aligned"), messages.get(4));
            assertEquals(bad.size(), records.size(), messages::toString);
            for (LogRecord r : records) {
                assertNull(r.getThrown(), () -> "no stack trace for a refused value: " + r.getMessage());
            }
            assertEquals(facts, c.facts(), "refused: nothing changed");
            assertTrue(witness.alive(), "refused: the platform's stub lives");
            Configs.modify(c, Map.of("poolSize", 2));
            assertEquals(facts, c.facts(), "a good value still applies to the running platform");
            witness.close();
        } finally {
            c.deactivate();
        }
    }

    @Test
    void aRefusedFirstConfigurationFailsTheActivationWithoutAStackTrace() {
        StubPlatformComponent c = Configs.component();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Configs.activate(c, Map.of("poolSize", -1)));
        assertEquals("poolSize must be 0..4096, got -1", e.getMessage());
        assertEquals(0, e.getStackTrace().length, "SCR logs what activate throws with its stack trace: there is none");
        assertEquals(1, records.size());
        assertTrue(records.get(0).getMessage().endsWith("stub platform: poolSize must be 0..4096, got -1"), records.get(0).getMessage());
        assertNull(records.get(0).getThrown());
    }
}
