package dev.tether.core;

import dev.tether.api.WrongThreadException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Run in a child JVM of Java 21+ by {@link VirtualThreadKernelTest}: calls the platform from a
 * virtual thread and prints what happened. Compiled for Java 17, so virtual threads are made
 * through reflection.
 */
public final class VirtualThreadProbe {
    private VirtualThreadProbe() {
    }

    public static void main(String[] args) throws Exception {
        try (StubPlatformImpl platform = TestArch.platform(Settings.defaults())) {
            AtomicReference<Throwable> seen = new AtomicReference<>();
            Runnable call = () -> {
                try {
                    platform.createStub().close();
                } catch (Throwable e) {
                    seen.set(e);
                }
            };
            Thread t = (Thread) Thread.class.getMethod("startVirtualThread", Runnable.class).invoke(null, call);
            t.join();
            Throwable e = seen.get();
            if (e instanceof WrongThreadException) {
                System.out.println("REFUSED: " + e.getMessage());
            } else {
                System.out.println("NOT REFUSED: " + e);
            }
            // and from a platform thread it works
            try (var stub = platform.createStub()) {
                System.out.println("PLATFORM THREAD: getpid ok " + (stub.syscall("getpid") == stub.pid()));
            }
        }
    }
}
