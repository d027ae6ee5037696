package dev.tether.core;

import dev.tether.api.FailureMode;

/**
 * How a platform runs.
 *
 * @param failureMode contained (default) or fail-stop (DESIGN rule 5)
 * @param tracerThreads number of dedicated tracer threads (stubs are spread over them)
 * @param poolSize how many released subprocesses are kept for reuse (gVisor's globalPool)
 * @param prefork how many subprocesses are forked ahead in the background, so that acquiring one
 *     costs no syscall on the caller's path (0: none)
 */
public record Settings(FailureMode failureMode, int tracerThreads, int poolSize, int prefork) {
    public Settings {
        if (failureMode == null) {
            throw new IllegalArgumentException("failure mode is required (contained or fail-stop)");
        }
        if (tracerThreads < 1 || tracerThreads > 64) {
            throw new IllegalArgumentException("tracer thread count must be 1..64, got " + tracerThreads);
        }
        if (poolSize < 0 || poolSize > 4096) {
            throw new IllegalArgumentException("pool size must be 0..4096, got " + poolSize);
        }
        if (prefork < 0 || prefork > poolSize) {
            throw new IllegalArgumentException("pre-fork count must be 0..pool size (" + poolSize + "), got " + prefork);
        }
    }

    public Settings(FailureMode failureMode, int tracerThreads) {
        this(failureMode, tracerThreads, 16, 0);
    }

    public static Settings defaults() {
        return new Settings(FailureMode.CONTAINED, 2);
    }
}
