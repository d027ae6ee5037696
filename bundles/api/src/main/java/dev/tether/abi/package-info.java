/**
 * Arch-neutral Linux ABI constants (gVisor's {@code pkg/abi/linux}): one class per kernel header,
 * each value with the header it comes from. Values that differ between architectures (syscall
 * numbers, x86-only ptrace requests) live in the arch bundles instead.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package dev.tether.abi;
