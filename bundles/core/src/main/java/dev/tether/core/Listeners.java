package dev.tether.core;

import java.util.List;

/**
 * Several {@link PlatformListener}s as one, for {@code StubPlatformImpl.setListener}: each call
 * goes to every listener in order; one that throws (it must not) is skipped, so that an observer
 * can never break the platform's work. Immutable: the component builds a new one whenever its set
 * of listeners changes.
 */
final class Listeners implements PlatformListener {
    private final PlatformListener[] all;

    Listeners(List<PlatformListener> listeners) {
        this.all = listeners.toArray(new PlatformListener[0]);
    }

    @Override
    public void stubCreated(int pid, boolean forked, long nanos) {
        for (PlatformListener l : all) {
            try {
                l.stubCreated(pid, forked, nanos);
            } catch (RuntimeException e) {
                // an observer's bug: ignored, the platform's work goes on
            }
        }
    }

    @Override
    public void injected(int pid, int tid, long sysno, long result, long nanos) {
        for (PlatformListener l : all) {
            try {
                l.injected(pid, tid, sysno, result, nanos);
            } catch (RuntimeException e) {
                // an observer's bug: ignored, the platform's work goes on
            }
        }
    }

    @Override
    public void stubDied(int pid, int tid, String why) {
        for (PlatformListener l : all) {
            try {
                l.stubDied(pid, tid, why);
            } catch (RuntimeException e) {
                // an observer's bug: ignored, the platform's work goes on
            }
        }
    }

    @Override
    public void masterRestarted(int oldPid, int newPid, String why) {
        for (PlatformListener l : all) {
            try {
                l.masterRestarted(oldPid, newPid, why);
            } catch (RuntimeException e) {
                // an observer's bug: ignored, the platform's work goes on
            }
        }
    }

    @Override
    public void failed(String operation, Throwable error) {
        for (PlatformListener l : all) {
            try {
                l.failed(operation, error);
            } catch (RuntimeException e) {
                // an observer's bug: ignored, the platform's work goes on
            }
        }
    }
}
