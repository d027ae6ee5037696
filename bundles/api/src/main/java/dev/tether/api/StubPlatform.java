package dev.tether.api;

import dev.tether.seccomp.Action;
import dev.tether.seccomp.Policy;
import java.util.List;

/**
 * The platform: creates ptrace stubs from the JVM, exactly as gVisor's {@code createStub} and
 * {@code attachedThread} do. Registered as an OSGi service only while an arch bundle for this
 * host is present. Closing it (or stopping the arch bundle) kills and reaps every stub it made.
 */
@org.osgi.annotation.versioning.ProviderType
public interface StubPlatform {
    /** What the platform found out about this host. */
    PlatformFacts facts();

    /**
     * gVisor's {@code createStub()}: a stub with the platform's clone flags (CLONE_FILES | the
     * failure mode's exit signal) and the default action chosen by probeSeccomp.
     */
    Stub createStub();

    /**
     * gVisor's {@code attachedThread(flags, defaultAction)}: a stub cloned with {@code cloneFlags}
     * (the low byte is the exit signal) under the stub policy for {@code defaultAction}.
     */
    Stub attachedThread(long cloneFlags, Action defaultAction);

    /**
     * A stub under a caller-supplied seccomp policy. The policy must let the stub bootstrap
     * (prctl(PR_SET_PDEATHSIG, SIGKILL), getppid, getpid, kill(pid, SIGSTOP)); otherwise creation
     * fails with a clear error and nothing is left behind.
     */
    Stub attachedThread(long cloneFlags, Policy policy);

    /**
     * The policy that {@link #attachedThread(long, Action)} installs: gVisor's rule set (its
     * process-clone rule names this platform's failure mode's exit signal) plus the arch's rules.
     */
    Policy stubPolicy(Action defaultAction);

    /** The syscall number of {@code name} on this platform's arch. */
    int syscallNumber(String name);

    /** The stubs made by this platform that are still alive. */
    List<Stub> stubs();

    /**
     * A subprocess: from the pool when one is available, otherwise forked from the master stub
     * (created on first use) with an injected clone, attached and unmapped (gVisor's {@code newSubprocess} in
     * subprocess.go and {@code subprocess.createStub} in subprocess_linux.go).
     */
    Subprocess newSubprocess();

    /**
     * A subprocess freshly forked from the master, never from the pool (what {@link #newSubprocess}
     * does when the pool is empty; for benchmarks and callers that need a pristine process).
     */
    Subprocess forkSubprocess();

    /** The live subprocesses (in use or pooled). */
    List<Subprocess> subprocesses();
}
