package dev.tether.bench.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/** The guest side's CPU time of the guest ops: schedstat run time, ns, summed over a process's threads. */
class BenchRunCpuTest {
    @Test
    void cpuNanosGrowsByWhatThisThreadBurns() {
        int pid = (int) ProcessHandle.current().pid();
        long before = BenchRun.cpuNanos(pid);
        long mine0 = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
        long x = 0;
        while (ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - mine0 < 50_000_000L) {
            x += x * 31 + 7; // burn 50 ms of this thread's CPU
        }
        long grew = BenchRun.cpuNanos(pid) - before;
        assertTrue(x != 1 && grew >= 45_000_000L, "the process's threads ran " + grew + " ns while this one burnt 50 ms");
    }

    @Test
    void aProcessThatIsNotThereHasNoTime() {
        assertEquals(0, BenchRun.cpuNanos(Integer.MAX_VALUE));
    }
}
