package dev.tether.core;

import dev.tether.abi.Wait;

/**
 * Whether a traced stub thread lives, how it died, and whether its final status was collected: read
 * from any thread (volatile), written by its tracer or by a teardown ({@link GroupReaper}).
 */
final class TraceeState {
    private volatile boolean alive = true;
    /** Set once the thread's final status has been collected: nothing is left to reap. */
    private volatile boolean reaped;
    private volatile String death;
    private volatile int deathStatus;

    boolean alive() {
        return alive;
    }

    String death() {
        return death;
    }

    int deathStatus() {
        return deathStatus;
    }

    boolean reaped() {
        return reaped;
    }

    void setReaped() {
        reaped = true;
    }

    /** Dead with wait status {@code status} (described as {@code <sys/wait.h>} would). */
    void markDead(int status) {
        deathStatus = status;
        death = Wait.describe(status);
        alive = false;
    }

    /** Dead with {@code status}, described as {@code why} instead. */
    void markDead(int status, String why) {
        markDead(status);
        death = why;
    }

    /** Collected by a teardown: dead with {@code status} unless already dead. */
    void markReaped(int status) {
        reaped = true;
        if (alive) {
            markDead(status);
        }
    }
}
