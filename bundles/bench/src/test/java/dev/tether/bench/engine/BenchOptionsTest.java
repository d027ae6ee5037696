package dev.tether.bench.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The command line of the bench engine and its output format (the runs themselves need a kernel: launcher tests). */
class BenchOptionsTest {
    @Test
    void defaultsAreEveryOpForTwoSeconds() {
        BenchOptions o = BenchOptions.parse();
        assertEquals(List.copyOf(BenchEngine.OPS.keySet()), o.ops());
        assertEquals(BenchEngine.DEFAULT_SECONDS, o.seconds());
        assertTrue(o.ops().containsAll(List.of("host_stub", "fork", "new_thread", "inject", "unmap", "mem_read_4k",
                "mem_write_4k", "mem_read_1m", "mem_write_1m", "pool_acquire")), o.ops().toString());
    }

    @Test
    void opsAndSecondsAreParsedInBothSpellings() {
        BenchOptions o = BenchOptions.parse("--ops", "inject,fork", "--seconds", "0.5");
        assertEquals(List.of("inject", "fork"), o.ops());
        assertEquals(0.5, o.seconds());
        o = BenchOptions.parse("--seconds=3", "--ops=pool_acquire");
        assertEquals(List.of("pool_acquire"), o.ops());
        assertEquals(3.0, o.seconds());
    }

    @Test
    void theGuestPlatformIsPtraceUnlessNamed() {
        assertEquals("ptrace", BenchOptions.parse().platform());
        BenchOptions o = BenchOptions.parse("--ops", "switch", "--platform", "trap");
        assertEquals(List.of("switch"), o.ops());
        assertEquals("trap", o.platform());
        assertEquals("trap", BenchOptions.parse("--platform=trap").platform());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse("--platform", "Bad Name"));
        assertTrue(e.getMessage().contains("'Bad Name'"), e.getMessage());
    }

    @Test
    void badInputNamesWhatIsWrong() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse("--ops", "inject,nope"));
        assertTrue(e.getMessage().contains("'nope'") && e.getMessage().contains("pool_acquire"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse("--seconds", "soon"));
        assertTrue(e.getMessage().contains("'soon'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse("--seconds", "0"));
        assertTrue(e.getMessage().contains("--seconds"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse("--ops"));
        assertTrue(e.getMessage().contains("--ops needs a value"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse("--fast"));
        assertTrue(e.getMessage().contains("'--fast'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> BenchOptions.parse("--ops", ","));
        assertTrue(e.getMessage().contains("names no op"), e.getMessage());
    }

    @Test
    void linesHaveTheNativeFloorsFormatWithNearestRankPercentiles() {
        Samples s = new Samples();
        for (int i = 100; i >= 1; i--) {
            s.add(i * 1000L); // 1..100 µs, unsorted
        }
        assertEquals("op=inject n=100 median_us=50.00 p90_us=90.00 p99_us=99.00", s.line("inject"));
        Samples one = new Samples();
        one.add(1234);
        assertEquals("op=x n=1 median_us=1.23 p90_us=1.23 p99_us=1.23", one.line("x"));
    }
}
