package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.osgi.service.log.Logger;

/** What the platform log writes through an OSGi Logger, and what it leaves alone when a level is off. */
class PlatformLogTest {
    /** An OSGi Logger that records "level: message" and has DEBUG on or off. */
    private static Logger recording(List<String> out, boolean debug) {
        return (Logger) Proxy.newProxyInstance(Logger.class.getClassLoader(), new Class<?>[] {Logger.class},
                (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "isDebugEnabled": return debug;
                        case "getName": return "test";
                        case "debug": case "info": case "warn": case "error":
                            out.add(method.getName() + ": " + args[0]);
                            return null;
                        default: throw new UnsupportedOperationException(method.getName());
                    }
                });
    }

    @Test
    void stubCreationIsLoggedAtDebugOnlyWhenDebugIsOn() {
        List<String> on = new ArrayList<>();
        new PlatformLog(() -> recording(on, true)).stubCreated(42, true, 81_500);
        assertEquals(List.of("debug: stub 42 created by a fork of the master in 81.5 us"), on);

        List<String> off = new ArrayList<>();
        new PlatformLog(() -> recording(off, false)).stubCreated(42, false, 81_500);
        assertEquals(List.of(), off, "nothing is built or passed on when DEBUG is off (it is on every fork's path)");
    }

    @Test
    void deathsAndFailuresAreWarnings() {
        List<String> out = new ArrayList<>();
        PlatformLog log = new PlatformLog(() -> recording(out, false));
        log.stubDied(7, 8, "killed by SIGKILL");
        log.failed("pre-fork", new IllegalStateException("no"));
        assertEquals(2, out.size());
        assertTrue(out.get(0).startsWith("warn: stub 7 thread 8 died: killed by SIGKILL"), out.get(0));
        assertTrue(out.get(1).startsWith("warn: pre-fork failed: java.lang.IllegalStateException: no"), out.get(1));
    }
}
