package dev.tether.shell;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The command line of tether:bench and its output format (the runs themselves need a kernel: launcher tests). */
class BenchCommandTest {
    @Test
    void defaultsAreEveryOpForTwoSeconds() {
        BenchCommand.Options o = BenchCommand.Options.parse();
        assertEquals(List.copyOf(BenchCommand.OPS.keySet()), o.ops());
        assertEquals(BenchCommand.DEFAULT_SECONDS, o.seconds());
        assertTrue(o.ops().containsAll(List.of("host_stub", "fork", "new_thread", "inject", "unmap", "mem_read_4k",
                "mem_write_4k", "mem_read_1m", "mem_write_1m", "pool_acquire")), o.ops().toString());
    }

    @Test
    void opsAndSecondsAreParsedInBothSpellings() {
        BenchCommand.Options o = BenchCommand.Options.parse("--ops", "inject,fork", "--seconds", "0.5");
        assertEquals(List.of("inject", "fork"), o.ops());
        assertEquals(0.5, o.seconds());
        o = BenchCommand.Options.parse("--seconds=3", "--ops=pool_acquire");
        assertEquals(List.of("pool_acquire"), o.ops());
        assertEquals(3.0, o.seconds());
    }

    @Test
    void badInputNamesWhatIsWrong() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BenchCommand.Options.parse("--ops", "inject,nope"));
        assertTrue(e.getMessage().contains("'nope'") && e.getMessage().contains("pool_acquire"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BenchCommand.Options.parse("--seconds", "soon"));
        assertTrue(e.getMessage().contains("'soon'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BenchCommand.Options.parse("--seconds", "0"));
        assertTrue(e.getMessage().contains("--seconds"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BenchCommand.Options.parse("--ops"));
        assertTrue(e.getMessage().contains("--ops needs a value"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BenchCommand.Options.parse("--fast"));
        assertTrue(e.getMessage().contains("'--fast'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BenchCommand.Options.parse("--ops", ","));
        assertTrue(e.getMessage().contains("names no op"), e.getMessage());
    }

    @Test
    void linesHaveTheNativeFloorsFormatWithNearestRankPercentiles() {
        BenchCommand.Samples s = new BenchCommand.Samples();
        for (int i = 100; i >= 1; i--) {
            s.add(i * 1000L); // 1..100 µs, unsorted
        }
        assertEquals("op=inject n=100 median_us=50.00 p90_us=90.00 p99_us=99.00", s.line("inject"));
        BenchCommand.Samples one = new BenchCommand.Samples();
        one.add(1234);
        assertEquals("op=x n=1 median_us=1.23 p90_us=1.23 p99_us=1.23", one.line("x"));
    }
}
