package dev.tether.core;

/**
 * Observes the platform's work, for counters, logs and health (called on the thread that did the
 * work; implementations must be fast and must not throw). All methods have empty defaults.
 */
public interface PlatformListener {
    /** A stub process was created (from the JVM, or forked from the master when {@code forked}). */
    default void stubCreated(int pid, boolean forked, long nanos) {
    }

    /** A syscall was injected into stub thread {@code tid}; {@code result} is the value or -errno. */
    default void injected(int pid, int tid, long sysno, long result, long nanos) {
    }

    /** A stub process or thread died unexpectedly (not torn down by Tether). */
    default void stubDied(int pid, int tid, String why) {
    }

    /** The master stub {@code oldPid} was found dead and replaced by {@code newPid} (contained mode). */
    default void masterRestarted(int oldPid, int newPid, String why) {
    }

    /** An operation failed with an error other than a stub's death. */
    default void failed(String operation, Throwable error) {
    }
}
