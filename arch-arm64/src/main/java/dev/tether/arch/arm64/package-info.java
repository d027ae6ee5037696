/**
 * aarch64: register layout, stub machine code, seccomp contribution and syscall table.
 *
 * <p>Four DS components, each with the service property {@code tether.arch=arm64}:
 * {@link dev.tether.arch.arm64.Arm64SyscallTable} (the complete table, generated into
 * {@code Arm64Sysno} by {@code src/tools/gen-sysno.sh}), {@link dev.tether.arch.arm64.Arm64SeccompContribution}
 * (gVisor's {@code appendArchSeccompRules}: nothing on arm64), {@link dev.tether.arch.arm64.Arm64RegisterLayout}
 * ({@code struct user_pt_regs}) and {@link dev.tether.arch.arm64.Arm64StubProgram} (the stub and
 * the clone trampoline, built by the typed encoder {@code A64Assembler}). For the trap guest platform
 * (docs/trap.md), the component {@link dev.tether.arch.arm64.Arm64TrapArch} (a {@code TrapArch}
 * service, as arch-amd64's) gives the SIGSYS handler ({@code Arm64TrapHandler}) and the arm64 signal
 * frame's layout. The syscall table and the
 * seccomp contribution are also listed in {@code META-INF/services} for use outside OSGi. Each
 * class extends its arch-neutral base from {@code dev.tether.spi.support} (the encoder extends
 * {@code Assembler}) and states only aarch64 facts; arch-amd64 shares those bases. Pure
 * Java, so its unit tests run on any host. Private package; the {@code osgi.native} requirement
 * below lets this bundle resolve only on aarch64 hosts.
 */
@org.osgi.annotation.bundle.Requirement(namespace = "osgi.native", filter = "(osgi.native.processor=aarch64)")
package dev.tether.arch.arm64;
