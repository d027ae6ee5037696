package dev.tether.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.bench.engine.BenchEngine;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The JMH harness is generated and covers every op; no benchmark runs in the build. */
class JmhBenchTest {
    @Test
    void jmhGeneratedABenchmarkForEveryOpOfTetherBench() throws Exception {
        String list;
        try (InputStream in = StubBenchmarks.class.getResourceAsStream("/META-INF/BenchmarkList")) {
            assertNotNull(in, "the JMH annotation processor wrote META-INF/BenchmarkList");
            list = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Set<String> methods = new TreeSet<>();
        for (String op : JmhBench.OPS) {
            assertTrue(list.contains("StubBenchmarks") && list.contains(op), op + " in " + list);
            methods.add(op);
        }
        // every op of the shell's tether:bench has a JMH twin, with the same name
        assertEquals(new TreeSet<>(BenchEngine.OPS.keySet()), methods);
    }

    @Test
    void unknownOpsAreRefusedBeforeAnythingRuns() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JmhBench.main(new String[] {"--ops", "inject,warp"}));
        assertTrue(e.getMessage().contains("'warp'"), e.getMessage());
    }
}
