/**
 * Arch-neutral building blocks for arch bundles (the bundle bundles/arch-support, used by arch
 * bundles only; users of the API never need it): abstract bases that hold the mechanics shared by
 * every architecture, so that an arch bundle's classes state only its facts (register names and
 * indices, syscall numbers, audit arch, addresses, instruction encodings), each citing its kernel
 * header or spec section.
 *
 * <ul>
 * <li>{@link dev.tether.spi.support.WordRegisterLayout}: a {@link dev.tether.spi.RegisterLayout}
 * whose NT_PRSTATUS set is an array of little-endian 64-bit words: its facts checked once, and its
 * ByteBuffer codec;</li>
 * <li>{@link dev.tether.spi.support.GeneratedSyscallTable}: a
 * {@link dev.tether.seccomp.SyscallTable} over a generated name/number table;</li>
 * <li>{@link dev.tether.spi.support.ArchSeccompContribution}: the copy-and-append frame of
 * gVisor's {@code appendArchSeccompRules};</li>
 * <li>{@link dev.tether.spi.support.Assembler}: labels, layout bookkeeping, listing and GNU
 * assembler source for a typed machine-code encoder;</li>
 * <li>{@link dev.tether.spi.support.AssembledStubProgram}: a {@link dev.tether.spi.StubProgram}
 * made of two assembled programs and the arch's address facts;</li>
 * <li>{@link dev.tether.spi.support.ArchLinuxAbi}: a guest kernel's
 * {@link dev.tether.guest.kernel.spi.LinuxAbi} from the arch's values (machine names, stack
 * alignment, {@code struct stat} size, open flags, the registers a new program starts with).</li>
 * </ul>
 * A subclass registered as a DS component must name its service explicitly
 * ({@code @Component(service = ...)}): DS infers services only from directly implemented
 * interfaces. Pure Java, no native code.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package dev.tether.spi.support;
