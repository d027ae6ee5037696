package dev.tether.core;

import dev.tether.api.FailureMode;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;

/**
 * Configuration of the stub platform (PID {@value StubPlatformComponent#PID}), also the typed
 * view of the StubPlatform service's properties (a component property type).
 *
 * <p>What a change does, as the descriptions tell operators: logging applies at once; the pool
 * size and pre-fork count apply to the running platform (from the next released or pre-forked
 * subprocess on); the failure mode, the tracer thread count and the stub address replace the
 * platform: a new one is created with the new settings, then the old one is torn down with every
 * stub and subprocess it made. A value that cannot be applied (a bad stub address, a fail-stop
 * platform that cannot be torn down) is refused and the running platform stays as it was.
 */
@ObjectClassDefinition(name = "Tether stub platform",
        description = "How Tether creates and owns ptrace stubs. Logging applies at once; pool size and pre-fork"
                + " count apply to the running platform; failure mode, tracer threads and stub address replace"
                + " the platform (its stubs and subprocesses are torn down). A change that cannot be applied is"
                + " refused and logged, and the platform stays as it was.")
public @interface StubPlatformConfig {
    // The options are also spelled out in the description: Karaf's config:meta prints key, name,
    // type, default and description, not the option list (MetaCommand.Print in
    // org.apache.karaf.config.command 4.4.10), and Felix's web console shows the labels.
    @AttributeDefinition(name = "Failure mode", description = "Options: contained (default), fail-stop; any case,"
            + " CONTAINED, FAIL_STOP and failStop are read the same. contained: a dead stub is a typed error and"
            + " stubs can be torn down. fail-stop: gVisor's semantics, stubs are cloned with exit signal SIGKILL so"
            + " a dying stub kills the JVM, and the platform cannot be torn down once it made a stub (its stubs and"
            + " tracer threads stay until the JVM exits). Changing it replaces the platform (refused while a"
            + " fail-stop platform has stubs).", options = {
                @Option(label = "contained: a dead stub is a typed error; stubs can be torn down", value = "CONTAINED"),
                @Option(label = "fail-stop: a dying stub kills the JVM (gVisor's semantics)", value = "FAIL_STOP")})
    FailureMode failureMode() default FailureMode.CONTAINED;

    @AttributeDefinition(name = "Tracer threads", description = "Dedicated platform threads that own the stubs"
            + " (1..64). Changing it replaces the platform.", min = "1", max = "64")
    int tracerThreads() default 2;

    @AttributeDefinition(name = "Pool size", description = "How many released subprocesses are kept for reuse"
            + " (0..4096). Applies to the running platform: a smaller pool destroys the extra pooled subprocesses.",
            min = "0", max = "4096")
    int poolSize() default 16;

    @AttributeDefinition(name = "Pre-fork count", description = "How many subprocesses are forked ahead in the"
            + " background (0..pool size; 0: none). Applies to the running platform.", min = "0", max = "4096")
    int prefork() default 0;

    @AttributeDefinition(name = "Stub address", description = "Where to map the stub page in every stub, as 0x..."
            + " (page-aligned, free, below the arch's maximum user address). Empty (default): the arch's placement,"
            + " near the top of the address space. Changing it replaces the platform; an address that cannot be"
            + " mapped is refused.")
    String stubAddress() default "";

    @AttributeDefinition(name = "CPUID faulting", description = "Options: true (default), false. Stubs turn CPUID faulting on where the CPU has it"
            + " (true, default, as gVisor: a guest's CPUID traps to Java). Costs an MSR write per context switch,"
            + " which hypervisors trap (~16 us per ptrace round trip on small VMs); false: guests see the host's CPUID.")
    boolean cpuidFaulting() default true;

    @AttributeDefinition(name = "Log injected syscalls", description = "Options: true, false (default). Log every injected system call (stub,"
            + " thread, syscall, result, latency) at INFO through the OSGi Log Service. Applies at once.")
    boolean logInjections() default false;
}
