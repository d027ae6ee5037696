/**
 * The only native boundary of Tether: JNA direct-mapped bindings for ptrace, wait4, waitid,
 * tgkill, kill, mmap/mprotect/munmap, prctl, process_vm_readv/writev, memfd_create, syscall, and
 * the CPU placement calls sched_getcpu/sched_getaffinity/sched_setaffinity/sched_yield, and
 * {@link dev.tether.linux.ExecutableCode}: an arch's machine code mapped read-execute and called
 * with one argument block through one direct-mapped call (libc's bsearch). Every
 * failing call throws {@link dev.tether.linux.LinuxException} naming the call and the errno. It
 * uses {@code dev.tether.abi} and JNA, nothing else of Tether.
 *
 * <p><b>Not exported: core embeds it.</b> This package is for core alone. Core's bundle carries
 * it as a private package (bnd {@code -includepackage} in core's pom), so no other bundle can
 * import it, on any framework. The other way, {@code Export-Package} with the {@code x-friends}
 * directive, is only a hint outside Equinox: Equinox enforces it in its strict resolver mode,
 * while Apache Felix (Tether's launcher, the Pax Exam container and Karaf's default framework)
 * does not implement it and would wire the package to any bundle that imports it. The cost
 * of embedding is nil here: core is this package's only user, JNA stays a bundle of its own
 * (core imports {@code com.sun.jna}), and the jar of this module is still what core's tests, the
 * benchmarks (a flat class path) and the arm64 check compile and run against.
 */
package dev.tether.linux;
