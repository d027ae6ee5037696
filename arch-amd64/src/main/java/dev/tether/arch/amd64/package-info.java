/**
 * x86-64: register layout, stub machine code, seccomp contribution and syscall table.
 *
 * <p>Four DS components, each with the service property {@code tether.arch=amd64}:
 * {@link dev.tether.arch.amd64.Amd64SyscallTable} (the complete table, generated into
 * {@code Amd64Sysno} by {@code src/tools/gen-sysno.sh}), {@link dev.tether.arch.amd64.Amd64SeccompContribution}
 * (gVisor's {@code appendArchSeccompRules}), {@link dev.tether.arch.amd64.Amd64RegisterLayout}
 * ({@code struct user_regs_struct}) and {@link dev.tether.arch.amd64.Amd64StubProgram} (the stub
 * and the clone trampoline, built by the typed encoder {@code X86Assembler}). The syscall table and
 * the seccomp contribution are also listed in {@code META-INF/services} for use outside OSGi.
 * Each class extends its arch-neutral base from {@code dev.tether.spi.support} (the encoder
 * extends {@code Assembler}) and states only x86-64 facts; arch-arm64 shares those bases.
 * Pure Java: nothing here calls native code. Private package; the {@code osgi.native} requirement
 * below lets this bundle resolve only on x86-64 hosts.
 */
@org.osgi.annotation.bundle.Requirement(namespace = "osgi.native", filter = "(osgi.native.processor=x86-64)")
package dev.tether.arch.amd64;
