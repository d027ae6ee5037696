package dev.tether.core;

import dev.tether.api.FailureMode;
import dev.tether.api.Stub;
import dev.tether.api.TetherException;
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
        try {
            Configs.modify(c, Map.of());
            System.out.println("NOT REFUSED");
        } catch (TetherException e) {
            System.out.println("REFUSED: " + e.getMessage());
        }
        System.out.println("STILL " + c.facts().failureMode() + ", stub alive " + stub.alive());
        c.deactivate(); // logs the refusal, does not throw
        System.out.println("DEACTIVATED, stub alive " + stub.alive());
        System.out.flush();
        // halt: no shutdown hook may try to tear the stub down
        Runtime.getRuntime().halt(0);
    }
}
