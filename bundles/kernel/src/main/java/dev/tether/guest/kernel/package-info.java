/**
 * A guest kernel in Java: the system calls of a guest program, trapped by a
 * {@link dev.tether.guest.GuestPlatform}, emulated against per-guest state.
 * <p>
 * {@link dev.tether.guest.kernel.SyscallHandler} is the contract (gVisor's {@code kernel.SyscallFn}): a
 * {@link dev.tether.guest.kernel.Task} and a {@link dev.tether.guest.GuestEvent.Syscall} in, a
 * {@link dev.tether.guest.kernel.SyscallResult} out. {@link dev.tether.guest.kernel.MiniLinux} implements
 * it for ordinary static single-threaded programs (glibc static, static-PIE, Debian's busybox-static):
 * ELF loading and the initial stack, memory, a per-guest fd table in Java over read-only directories
 * the caller grants, time, identity, limits; {@link dev.tether.guest.kernel.GuestRunner} loads a program
 * and runs it to its end, optionally tracing each system call strace-style
 * ({@link dev.tether.guest.kernel.SyscallTracer}). The guest never gets a host fd: stub processes share
 * the JVM's fd table, so nothing is passed through. Arch facts come from the
 * {@link dev.tether.guest.kernel.spi.LinuxAbi} service of the arch bundle.
 * <p>
 * Single-threaded: one guest is driven by the one Java thread that switches into it.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package dev.tether.guest.kernel;
