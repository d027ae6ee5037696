/**
 * Seccomp policy as code: gVisor's rule model ({@link dev.tether.seccomp.RuleSet},
 * {@link dev.tether.seccomp.SyscallRule}, {@link dev.tether.seccomp.Rule},
 * {@link dev.tether.seccomp.Matcher}, {@link dev.tether.seccomp.Action}), the JSON rule-file
 * format, a reference evaluator of the verdict contract, and the compiler to classic BPF.
 *
 * <p>The verdict contract every compiled program implements, for a {@code seccomp_data}:
 * <ol>
 * <li>arch != the target's audit arch: the bad-arch action;</li>
 * <li>on an arch with a {@link dev.tether.seccomp.ForeignAbi} (x32 on amd64), unless the policy
 * leaves its syscalls to the rules ({@link dev.tether.seccomp.ForeignAbiSyscalls}):
 * {@code nr >= syscallBit} (unsigned) and {@code nr != -1}: the bad-arch action, as libseccomp
 * does;</li>
 * <li>for each rule set in order that lists the syscall number: skip it if it is {@code vsyscall}
 * and bit 63 of the instruction pointer is clear; if the syscall matches all arguments, or any of
 * its rules holds, that set's action; otherwise continue with the next set;</li>
 * <li>the default action.</li>
 * </ol>
 * All comparisons are unsigned 64-bit. A rule set that lists a syscall after an earlier set that
 * matches all of its arguments (and is not vsyscall) is never reached for it; this is not an
 * error (gVisor's generator refuses such policies).
 *
 * <p>{@link dev.tether.seccomp.SeccompCompiler} turns a policy into a BPF program,
 * {@link dev.tether.seccomp.RuleFile} reads and writes the JSON rule files,
 * {@link dev.tether.seccomp.StubPolicy} is the ptrace stubs' own policy,
 * {@link dev.tether.seccomp.Explain} reports what a program costs and
 * {@link dev.tether.seccomp.Verdict} says which part of a policy decided a call.
 * {@link dev.tether.seccomp.SyscallTable} and
 * {@link dev.tether.seccomp.SeccompContribution} are implemented by the arch bundles and
 * registered as OSGi services (property {@code tether.arch}).
 *
 * <p>2.0.0: {@code StubPolicy}'s copies of kernel constants are gone ({@code dev.tether.abi} has
 * them); the seccomp views of BPF ({@code SeccompDisassembler}, {@code SeccompValidator}) moved
 * here from {@code dev.tether.bpf}.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("2.0.0")
package dev.tether.seccomp;
