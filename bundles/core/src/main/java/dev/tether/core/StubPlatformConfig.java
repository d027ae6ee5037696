package dev.tether.core;

import dev.tether.api.FailureMode;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the stub platform (PID {@code dev.tether.core}). */
@ObjectClassDefinition(name = "Tether stub platform", description = "How Tether creates and owns ptrace stubs")
public @interface StubPlatformConfig {
    @AttributeDefinition(name = "Failure mode", description = "CONTAINED: a dead stub is a typed error and stubs can be"
            + " torn down (default). FAIL_STOP: the seed's semantics, a dying stub kills the JVM.")
    FailureMode failureMode() default FailureMode.CONTAINED;

    @AttributeDefinition(name = "Tracer threads", description = "Dedicated platform threads that own the stubs (1..64)")
    int tracerThreads() default 2;
}
