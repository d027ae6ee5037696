package dev.tether.guest.kernel;

import dev.tether.guest.GuestEvent;

/**
 * Emulates one system call of a guest: gVisor's {@code kernel.SyscallFn}. Called on the thread that
 * runs the guest (the one that called {@link dev.tether.guest.GuestContext#switchTo()}), with the
 * system call not run. A handler reads and writes guest memory through {@link Task#memory()} and may
 * change the task's registers, then says what the guest sees in a {@link SyscallResult}.
 */
@FunctionalInterface
public interface SyscallHandler {

    /**
     * @param task the calling task: its context, memory and kernel state
     * @param call the system call and its six argument registers
     * @return the value (or {@code -errno}) the guest's system call returns, that the guest exits, or
     *     that the handler set the registers itself
     */
    SyscallResult handle(Task task, GuestEvent.Syscall call);
}
