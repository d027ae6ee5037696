/**
 * The architecture SPI: what an arch bundle contributes, as OSGi services carrying the service
 * property {@value dev.tether.spi.ArchService#ARCH_PROPERTY} (e.g. {@code amd64}), set with the
 * component property type {@link dev.tether.spi.TetherArch}.
 *
 * <ul>
 * <li>{@link dev.tether.spi.RegisterLayout}: the NT_PRSTATUS register set and where the syscall
 * convention and the stub keep their values in it (pure data);</li>
 * <li>{@link dev.tether.spi.StubProgram}: the stub's machine code and the host-side clone
 * trampoline, with their entry offsets, and where to place the stub;</li>
 * <li>{@link dev.tether.spi.GuestArch}: what running guest code under PTRACE_SYSEMU needs of the
 * arch (FP/TLS regsets, gVisor's {@code resetSysemuRegs}, {@code updateSyscallRegs}, ...);</li>
 * <li>{@link dev.tether.spi.TrapArch} (with {@link dev.tether.spi.TrapRegion}): the trap guest
 * platform's SIGSYS handler and the signal frame's layout (docs/trap.md);</li>
 * <li>{@link dev.tether.seccomp.SyscallTable} and {@link dev.tether.seccomp.SeccompContribution}
 * from the seccomp bundle: the syscall table, audit arch and gVisor's
 * {@code appendArchSeccompRules}.</li>
 * </ul>
 * Every one of them is a {@code @ConsumerType}: arch bundles implement them, core consumes them.
 *
 * <h2>Why the register layout is data, not behaviour</h2>
 * gVisor's {@code createSyscallRegs}, {@code syscallReturnValue} and {@code initChildProcessPPID}
 * ({@code pkg/sentry/platform/ptrace/subprocess_amd64.go}, {@code subprocess_arm64.go}) are the
 * same on every arch but for which register holds what: the number, six arguments, the return
 * value, the stub's expected parent pid and its re-bootstrap flag. So a layout states those word
 * indices and core does the rest, once, on raw words in a buffer it reuses. The alternative, a
 * layout that keeps the behaviour but writes into a caller-supplied buffer, would leave core
 * trusting arch code on its hottest path (every injection) and testing each arch's copy of the
 * same three lines; with data there is one injection path and nothing to probe. Guest execution
 * will need more facts of the same kind (the full register and FP/XSTATE layouts); they join here
 * as data.
 *
 * <p>Arch bundles are pure Java: they never call native code. Core composes whatever is
 * registered, at runtime, and never tests {@code os.arch}. Base classes that arch bundles share
 * are in {@code dev.tether.spi.support}, a bundle of its own (bundles/arch-support).
 *
 * <h2>Versions</h2>
 * Semantic versioning as bnd's baseline reads it (the bnd-baseline-maven-plugin README): every type
 * here is a {@code @ConsumerType}, so any change to an interface's methods is a major one, since
 * arch bundles implement them. 3.0.0: {@code TrapArch} describes the frame's FP state by
 * {@code fpState}/{@code putFpState}/{@code fpStateSize} instead of a pointer offset and a length,
 * which arm64's inline {@code fpsimd_context} record cannot be described by.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("3.0.0")
package dev.tether.spi;
