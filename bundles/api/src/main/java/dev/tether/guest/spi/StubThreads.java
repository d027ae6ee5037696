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

    /**
     * Binds the calling thread to a CPU for one guest switch of a platform other than core's, as core's
     * ptrace switch binds its own caller: to the CPU the thread is bound to already, else the one it
     * runs on now. The binding is kept after {@link #exitSwitch} for about a millisecond, so that a
     * thread switching back to back pays for it once, and then given back (the thread's own mask); now
     * and then one switch runs unbound, so that the scheduler can move the thread. A guest platform
     * binds its guest thread relative to that CPU (the trap platform: the same CPU when both sides
     * sleep between events, another one when both spin; docs/trap.md, section 8).
     *
     * @param subprocess the guest's subprocess (its platform gives the binding back)
     * @return the CPU the calling thread is bound to until {@link #exitSwitch}, or -1 if it runs
     *         unbound this time (a virtual thread, a cpuset that refuses, or a rebalancing switch)
     * @throws IllegalArgumentException if {@code subprocess} was not made by the core bundle's platform
     */
    default int enterSwitch(Subprocess subprocess) {
        return -1;
    }

    /**
     * Ends a switch that {@link #enterSwitch} began on the calling thread (the binding is kept a short while).
     *
     * @param cpu what {@link #enterSwitch} returned (-1: nothing to end)
     */
    default void exitSwitch(Subprocess subprocess, int cpu) {
    }
}
