package dev.tether.core;

import dev.tether.api.WrongThreadException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/** Thread checks for the public entry points (docs/architecture.md, section 4). */
final class Threads {
    /** Thread.isVirtual() exists from Java 21 on; Tether compiles for 17, so look it up. */
    private static final MethodHandle IS_VIRTUAL = lookupIsVirtual();

    private Threads() {
    }

    private static MethodHandle lookupIsVirtual() {
        try {
            return MethodHandles.publicLookup().findVirtual(Thread.class, "isVirtual", MethodType.methodType(boolean.class));
        } catch (NoSuchMethodException | IllegalAccessException e) {
            return null; // Java 17-20: no virtual threads
        }
    }

    static boolean isVirtual(Thread t) {
        if (IS_VIRTUAL == null) {
            return false;
        }
        try {
            return (boolean) IS_VIRTUAL.invokeExact(t);
        } catch (Throwable e) {
            return false;
        }
    }

    /** Refuses calls from virtual threads with a clear error. */
    static void refuseVirtual(String what) {
        Thread t = Thread.currentThread();
        if (isVirtual(t)) {
            throw new WrongThreadException(what + " was called from virtual thread " + t
                    + ": ptrace binds a stub to the OS thread that traces it, and virtual threads move between"
                    + " carrier threads; call Tether from a platform thread");
        }
    }
}
