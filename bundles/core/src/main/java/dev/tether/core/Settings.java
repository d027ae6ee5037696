package dev.tether.core;

import dev.tether.api.FailureMode;

/**
 * How a platform runs.
 *
 * @param failureMode contained (default) or fail-stop (DESIGN rule 5)
 * @param tracerThreads number of dedicated tracer threads (stubs are spread over them)
 */
public record Settings(FailureMode failureMode, int tracerThreads) {
    public Settings {
        if (failureMode == null) {
            throw new IllegalArgumentException("failure mode is required (contained or fail-stop)");
        }
        if (tracerThreads < 1 || tracerThreads > 64) {
            throw new IllegalArgumentException("tracer thread count must be 1..64, got " + tracerThreads);
        }
    }

    public static Settings defaults() {
        return new Settings(FailureMode.CONTAINED, 2);
    }
}
