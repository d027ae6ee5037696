package dev.tether.trap;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the trap guest platform (PID {@value TrapPlatformComponent#PID}); a change re-registers the service. */
@ObjectClassDefinition(name = "Tether trap guest platform",
        description = "Guest system calls through seccomp SIGSYS and shared memory (docs/trap.md). ptrace stays the"
                + " default guest platform; give this one a higher service.ranking to make it the default, or ask for"
                + " tether.platform=trap.")
public @interface TrapPlatformConfig {
    @AttributeDefinition(name = "Spin budget (µs)", description = "How long Java and the guest's handler poll the shared"
            + " word before they sleep on a futex (gVisor spins 20 µs). Only used when the JVM may run on two CPUs or"
            + " more (then the two sides run on different CPUs); with one CPU, or 0, both sleep at once, on one CPU (README,"
            + " Trap platform). Default 20, gVisor's deepSleepTimeoutNS.", min = "0", max = "1000000")
    long spinMicros() default TrapGuestPlatform.DEFAULT_SPIN_MICROS;

    @AttributeDefinition(name = "Service ranking", description = "service.ranking of the GuestPlatform service. The"
            + " ptrace platform has 0; the default -1 keeps ptrace the default; 1 or more makes trap the default.")
    int service_ranking() default -1;
}
