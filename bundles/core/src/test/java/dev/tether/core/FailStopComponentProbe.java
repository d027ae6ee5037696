package dev.tether.core;

import dev.tether.api.FailureMode;
import dev.tether.api.Stub;
import java.util.Map;

/**
 * Run in a child JVM by {@link StubPlatformComponentKernelTest}: a fail-stop component makes a stub
 * (exit signal SIGKILL: its death would kill this JVM), then is asked to become contained and to
 * deactivate. Both must refuse to tear the stub down and say why. The JVM's exit ends the stub.
 */
public final class FailStopComponentProbe {
    private FailStopComponentProbe() {
    }

    public static void main(String[] args) {
        StubPlatformComponent c = Configs.component();
        Configs.activate(c, Map.of("failureMode", FailureMode.FAIL_STOP));
        Stub stub = c.createStub();
        System.out.println("STUB " + stub.pid());
        Configs.modify(c, Map.of()); // refused: one log line, no exception (SCR would log it again)
        String refusal = c.status().configRefusal();
        System.out.println(refusal == null ? "NOT REFUSED" : "REFUSED: " + refusal);
        System.out.println("STILL " + c.facts().failureMode() + ", stub alive " + stub.alive());
        c.deactivate(); // logs the refusal, does not throw
        System.out.println("DEACTIVATED, stub alive " + stub.alive());
        // a later platform (a new component, as after feature:uninstall + install) lists what stayed
        StubPlatformComponent next = Configs.component();
        Configs.activate(next, Map.of());
        System.out.println("ORPHANS " + OrphanRegistry.alive().describe());
        System.out.println("ORPHAN PIDS " + OrphanRegistry.alive().pids());
        next.deactivate();
        System.out.flush();
        // halt: no shutdown hook may try to tear the stub down
        Runtime.getRuntime().halt(0);
    }
}
