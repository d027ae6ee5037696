/**
 * Classic BPF as a library: typed instructions and the raw {@code struct sock_filter} form, an
 * assembler with labels, a validator with the kernel's classic checks, an interpreter with Linux
 * semantics and a disassembler. It knows nothing of any user of BPF (as golang.org/x/net/bpf):
 * seccomp's own rules and names live in the seccomp bundle ({@code SeccompValidator},
 * {@code SeccompDisassembler}), which builds on this package.
 *
 * <p>2.0.0: {@code Validator.checkSeccomp}, {@code Disassembler.disassembleSeccomp} and
 * {@code Bpf.SECCOMP_DATA_SIZE} moved to the seccomp bundle; {@code BpfException.Kind.NOT_ALLOWED}
 * replaces {@code NOT_ALLOWED_IN_SECCOMP}; {@link dev.tether.bpf.Disassembler.Annotator} lets a
 * caller comment a listing.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("2.0.0")
package dev.tether.bpf;
