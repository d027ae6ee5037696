package dev.tether.core;

/**
 * The management interface of {@code dev.tether:type=Platform}: counters since the core bundle
 * started (or since {@link #reset()}), a latency summary of injected syscalls, and the state of
 * the current platform. Latency percentiles are upper bounds of power-of-two buckets (so
 * {@code 4096} means "at most 4.096 us"), which keeps recording lock-free on the injection path.
 */
public interface PlatformMetricsMBean {
    /** Stub processes created from the JVM (createStub, attachedThread, each platform's master). */
    long getStubsCreated();

    /** Subprocesses forked from a master stub. */
    long getSubprocessesForked();

    /** System calls injected (into stubs and subprocesses). */
    long getInjections();

    /** Injected system calls that returned an error (-errno): the syscall failed, not Tether. */
    long getInjectionErrors();

    /** Stubs or stub threads that died while in use (e.g. killed by the seccomp filter). */
    long getStubDeaths();

    /**
     * Master stubs replaced because the previous one died (killed from outside, OOM-killed):
     * each restart also killed the subprocesses forked from the dead master (their PDEATHSIG).
     */
    long getMasterRestarts();

    /** Platform operations that failed (creation, pre-fork, pool shrinking ...). */
    long getFailures();

    /** The last failure (operation and error), or empty. */
    String getLastFailure();

    /** Mean latency of an injection, nanoseconds (0 before the first one). */
    long getInjectionMeanNanos();

    /** Median latency of an injection: upper bound of its bucket, nanoseconds. */
    long getInjectionP50Nanos();

    /** 99th percentile latency of an injection: upper bound of its bucket, nanoseconds. */
    long getInjectionP99Nanos();

    /** The slowest injection, nanoseconds. */
    long getInjectionMaxNanos();

    /** Platforms created since the core bundle started (one per arch bundle start or replacement). */
    long getPlatformsCreated();

    /** Whether a StubPlatform service is registered now. */
    boolean isPlatformActive();

    /** The current platform's arch, or empty. */
    String getArch();

    /** The current platform's failure mode, or empty. */
    String getFailureMode();

    /** Live stubs made from the JVM by the current platform. */
    int getLiveStubs();

    /** Live subprocesses (in use or pooled) of the current platform. */
    int getLiveSubprocesses();

    /**
     * The stubs and tracer threads earlier fail-stop platforms left in this JVM (they end with
     * it): {@code none}, or e.g. {@code 2 stub(s) (pids 4711 4712) and 1 tracer thread(s) of 1
     * earlier fail-stop platform(s), kept until the JVM exits}.
     */
    String getFailStopOrphans();

    /**
     * What is wrong, the cause first: a refused configuration value ({@code configuration refused:
     * key=value: reason; running with ...}), why the platform could not start, a refused teardown;
     * or empty.
     */
    String getProblem();

    /** Sets every counter and the latency summary back to zero. */
    void reset();
}
