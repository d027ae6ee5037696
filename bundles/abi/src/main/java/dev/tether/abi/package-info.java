/**
 * Arch-neutral Linux ABI constants (gVisor's {@code pkg/abi/linux}): one class per kernel header,
 * each value with the header it comes from. Values that differ between architectures (syscall
 * numbers, x86-only ptrace requests) live in the arch bundles instead.
 *
 * <p>A leaf bundle of its own: every other Tether bundle may use it (seccomp's stub policy, the
 * native layer, core, the shell), and it uses nothing of Tether ({@code LayeringTest} in core
 * checks both its sources and its POM).
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package dev.tether.abi;
