package dev.tether.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code tether bench}: usage errors before Felix boots, and one short real run through Gogo. */
class BenchCommandTest {
    @Test
    void badOptionsAreUsageErrors() {
        Cli.Result r = Cli.run("bench", "--ops", "inject;lb");
        assertEquals(ExitCode.USAGE, r.rc(), r.toString());
        assertTrue(r.err().contains("--ops takes op names"), r.toString());
        r = Cli.run("bench", "--seconds", "0");
        assertEquals(ExitCode.USAGE, r.rc(), r.toString());
        assertTrue(r.err().contains("--seconds must be"), r.toString());
        r = Cli.run("bench", "--prefork", "-1");
        assertEquals(ExitCode.USAGE, r.rc(), r.toString());
    }

    @Test
    void helpNamesTheOpsAndTheFloor() {
        Cli.Result r = Cli.run("bench", "--help");
        assertEquals(ExitCode.OK, r.rc(), r.toString());
        for (String op : new String[] {"host_stub", "fork", "new_thread", "inject", "unmap", "mem_read_4k", "pool_acquire"}) {
            assertTrue(r.out().contains(op), op + "\n" + r);
        }
        assertTrue(r.out().contains("native-floor/run"), r.toString());
    }

    @Test
    void aShortRunPrintsFloorFormatLinesWithThePoolPreForking() {
        Cli.Result r = Cli.run("--runtime", Cli.runtime().toString(), "bench", "--ops", "inject,pool_acquire", "--seconds", "0.3");
        assertEquals(ExitCode.OK, r.rc(), r.toString());
        for (String op : new String[] {"inject", "pool_acquire"}) {
            assertTrue(Pattern.compile("(?m)^op=" + op + " n=[1-9][0-9]* median_us=[0-9.]+ p90_us=[0-9.]+ p99_us=[0-9.]+$")
                    .matcher(r.out()).find(), op + " line in\n" + r);
        }
        assertTrue(r.out().contains("# pool_acquire: "), "Config Admin made the pool pre-fork:\n" + r);
    }
}
