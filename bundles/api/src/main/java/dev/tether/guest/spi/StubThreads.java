package dev.tether.guest.spi;

import dev.tether.api.Subprocess;

/**
 * Makes stub threads that can leave ptrace (an OSGi service of the core bundle; on a flat class path,
 * core's {@code StubThreadsImpl}).
 */
@org.osgi.annotation.versioning.ProviderType
public interface StubThreads {

    /**
     * A new stub thread of {@code subprocess}, traced by the calling thread and stopped at the stub's
     * syscall instruction, as the calling thread's own stub threads are (gVisor's
     * {@code thread.clone} in {@code subprocess_linux.go}).
     *
     * @throws IllegalArgumentException if {@code subprocess} was not made by the core bundle's platform
     * @throws dev.tether.api.StubDiedException if the subprocess died
     * @throws dev.tether.api.WrongThreadException when called from a virtual thread
     */
    DetachableThread newThread(Subprocess subprocess);

    /**
     * Readies {@code subprocess} (a fresh one: {@link dev.tether.api.StubPlatform#forkSubprocess()}) to
     * host untraced threads, before anything else is done with it: a group stop (which core's hand-off
     * of a new stub thread to its caller uses) would stop untraced threads with no one to continue them,
     * so none is left in place (no spare stub thread parked in group-stop; a SIGCONT after each hand-off).
     *
     * @throws IllegalArgumentException if {@code subprocess} was not made by the core bundle's platform
     */
    void hostUntracedThreads(Subprocess subprocess);
}
