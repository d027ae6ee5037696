package dev.tether.core;

import java.util.function.Supplier;
import org.osgi.service.log.Logger;

/**
 * Where the platform's rooms (tracer threads, forker, pool, stub image) log the rare warning
 * that is not a {@link PlatformListener} event: through the platform component's OSGi Logger, so
 * that Karaf (pax-logging) attributes the line to this bundle, not to the pax-logging bundle that
 * bridges java.util.logging; through {@link System.Logger} outside OSGi or without a Log Service.
 *
 * <p>Static, so per class loader, that is per installed core bundle: the component that runs
 * the platform sets it ({@link #use}) and clears it when it goes.
 */
final class CoreLog {
    private static volatile Supplier<Logger> osgi = () -> null;

    private CoreLog() {
    }

    /** The OSGi Logger to use from now on ({@code null}: System.Logger). */
    static void use(Supplier<Logger> logger) {
        osgi = logger == null ? () -> null : logger;
    }

    /** One WARN line; {@code error}'s stack trace goes with it (these are faults, not user errors). */
    static void warn(Class<?> from, String message, Throwable error) {
        Logger l = osgi.get();
        if (l != null) {
            l.warn(message, error);
        } else {
            System.getLogger(from.getName()).log(System.Logger.Level.WARNING, message, error);
        }
    }
}
