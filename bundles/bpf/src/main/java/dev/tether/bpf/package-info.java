/**
 * Classic BPF as a library: typed instructions and the raw {@code struct sock_filter} form, an
 * assembler with labels, a validator with the kernel's seccomp rules, an interpreter with Linux
 * semantics and a disassembler.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package dev.tether.bpf;
