/**
 * The architecture SPI: what an arch bundle contributes, as OSGi services carrying the service
 * property {@value dev.tether.spi.ArchService#ARCH_PROPERTY} (e.g. {@code amd64}).
 *
 * <ul>
 * <li>{@link dev.tether.spi.RegisterLayout}: the NT_PRSTATUS register set and the syscall
 * convention (gVisor's {@code createSyscallRegs}, {@code syscallReturnValue},
 * {@code initChildProcessPPID});</li>
 * <li>{@link dev.tether.spi.StubProgram}: the stub's machine code and the host-side clone
 * trampoline (DESIGN rule 3), with their entry offsets, and where to place the stub;</li>
 * <li>{@link dev.tether.seccomp.SyscallTable} and {@link dev.tether.seccomp.SeccompContribution}
 * from the seccomp bundle: the syscall table, audit arch and {@code appendArchSeccompRules}.</li>
 * </ul>
 * Arch bundles are pure Java: they never call native code. Core composes whatever is registered,
 * at runtime, and never tests {@code os.arch}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("2.0.0")
package dev.tether.spi;
