package dev.tether.core;

import java.util.function.LongFunction;
import java.util.function.Supplier;
import org.osgi.service.log.Logger;

/**
 * The platform's log: through the OSGi Logger of the component when the framework has a Log
 * Service, else through {@link System.Logger} (plain Felix without a log implementation, unit
 * tests). As a {@link PlatformListener} it logs stub deaths and failures always, stub creation at
 * DEBUG, and every injected syscall at INFO while {@link #logInjections(boolean) enabled}.
 */
final class PlatformLog implements PlatformListener {
    /** Where the log goes without an OSGi Logger: the component's System.Logger, named after it. */
    private final System.Logger fallback;
    private final Supplier<Logger> osgi;
    private volatile LongFunction<String> syscallName = nr -> "syscall " + nr;
    private volatile boolean injections;

    /** A log with its own System.Logger for the fallback (tests). */
    PlatformLog(Supplier<Logger> osgi) {
        this(osgi, System.getLogger(PlatformLog.class.getName()));
    }

    PlatformLog(Supplier<Logger> osgi, System.Logger fallback) {
        this.osgi = osgi;
        this.fallback = fallback;
    }

    /** Turns the per-injection log on or off (live: config property logInjections). */
    void logInjections(boolean on) {
        injections = on;
    }

    boolean logsInjections() {
        return injections;
    }

    /** How syscall numbers are named in the log (the arch's syscall table). */
    void syscallNames(LongFunction<String> names) {
        syscallName = names;
    }

    // ---------------------------------------------------------------- PlatformListener

    @Override
    public void stubCreated(int pid, boolean forked, long nanos) {
        // On every fork's path (the tracer's): the message is only built when it is logged.
        if (debugEnabled()) {
            debug("stub " + pid + " created " + (forked ? "by a fork of the master" : "from the JVM") + " in "
                    + micros(nanos) + " us");
        }
    }

    @Override
    public void injected(int pid, int tid, long sysno, long result, long nanos) {
        if (injections) {
            info("injected " + syscallName.apply(sysno) + " into stub " + pid + (tid != pid ? " thread " + tid : "")
                    + " = " + result + " (" + micros(nanos) + " us)");
        }
    }

    @Override
    public void stubDied(int pid, int tid, String why) {
        warn("stub " + pid + (tid != pid ? " thread " + tid : "") + " died: " + why);
    }

    @Override
    public void masterRestarted(int oldPid, int newPid, String why) {
        warn("the master stub " + oldPid + " died (" + why + "): replaced by a new master, " + newPid
                + "; the subprocesses forked from the old one died with it");
    }

    @Override
    public void failed(String operation, Throwable error) {
        warn(operation + " failed: " + error);
    }

    // ---------------------------------------------------------------- levels

    boolean debugEnabled() {
        Logger l = osgi.get();
        return l != null ? l.isDebugEnabled() : fallback.isLoggable(System.Logger.Level.DEBUG);
    }

    void debug(String message) {
        Logger l = osgi.get();
        if (l != null) {
            l.debug(message);
        } else {
            fallback.log(System.Logger.Level.DEBUG, message);
        }
    }

    void info(String message) {
        Logger l = osgi.get();
        if (l != null) {
            l.info(message);
        } else {
            fallback.log(System.Logger.Level.INFO, message);
        }
    }

    void warn(String message) {
        Logger l = osgi.get();
        if (l != null) {
            l.warn(message);
        } else {
            fallback.log(System.Logger.Level.WARNING, message);
        }
    }

    void error(String message, Throwable cause) {
        Logger l = osgi.get();
        if (l != null) {
            // the OSGi Logger takes a trailing Throwable as the entry's exception
            l.error(message, cause);
        } else {
            fallback.log(System.Logger.Level.ERROR, message, cause);
        }
    }

    private static String micros(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.1f", nanos / 1000.0); // "81.5" in any locale
    }
}
