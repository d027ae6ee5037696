/**
 * The trap guest platform ({@code tether.platform=trap}): guest system calls through a seccomp
 * {@code SECCOMP_RET_TRAP} filter, a SIGSYS handler in the guest's address space and a shared-memory
 * region per guest thread, instead of a ptrace stop per call (gVisor's systrap; docs/trap.md). Nothing is
 * exported: the bundle registers a {@link dev.tether.guest.GuestPlatform} service; {@link
 * dev.tether.trap.TrapGuestPlatform} is public for flat class paths (benchmarks, tests).
 */
package dev.tether.trap;
