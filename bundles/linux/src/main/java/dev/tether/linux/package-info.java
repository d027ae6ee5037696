/**
 * The only native boundary of Tether: JNA direct-mapped bindings for ptrace, wait4, tgkill,
 * mmap/mprotect/munmap, prctl, process_vm_readv/writev, memfd_create, syscall, and the CPU
 * placement calls sched_getcpu/sched_getaffinity/sched_setaffinity/sched_yield (1.1.0). Every
 * failing call throws {@link dev.tether.linux.LinuxException} naming the call and the errno.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package dev.tether.linux;
