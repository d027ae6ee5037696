package dev.tether.api;

/**
 * One reading of the {@link PlatformStats} counters. Latency percentiles are upper bounds of
 * power-of-two buckets ({@code 4096} means "at most 4.096 us"), which keeps recording lock-free
 * on the injection path.
 *
 * @param platformsCreated platforms created since the core bundle started (one per arch bundle
 *     start or structural reconfiguration)
 * @param stubsCreated stub processes created from the JVM (createStub, attachedThread, each
 *     platform's master)
 * @param subprocessesForked subprocesses forked from a master stub
 * @param injections system calls injected (into stubs and subprocesses)
 * @param injectionErrors injected system calls that returned {@code -errno} (the syscall failed,
 *     not Tether)
 * @param injectionMeanNanos mean latency of an injection (0 before the first one)
 * @param injectionP50Nanos median latency of an injection: upper bound of its bucket
 * @param injectionP99Nanos 99th percentile latency of an injection: upper bound of its bucket
 * @param injectionMaxNanos the slowest injection
 * @param stubDeaths stubs or stub threads that died while in use
 * @param masterRestarts master stubs replaced because the previous one died
 * @param failures platform operations that failed (creation, pre-fork, pool shrinking ...)
 * @param lastFailure the last failure (operation and error), or empty
 * @param problem what is wrong, the cause first: a refused configuration value ({@code configuration
 *     refused: key=value: reason; running with ...}), then why the platform could not start, then a
 *     refused teardown; empty when nothing is
 */
public record PlatformCounters(long platformsCreated, long stubsCreated, long subprocessesForked,
        long injections, long injectionErrors, long injectionMeanNanos, long injectionP50Nanos,
        long injectionP99Nanos, long injectionMaxNanos, long stubDeaths, long masterRestarts,
        long failures, String lastFailure, String problem) {

    /** Null strings are refused: "nothing" is the empty string. */
    public PlatformCounters {
        if (lastFailure == null || problem == null) {
            throw new IllegalArgumentException("lastFailure and problem must not be null (empty means none)");
        }
    }
}
