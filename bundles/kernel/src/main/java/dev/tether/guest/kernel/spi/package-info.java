/**
 * The architecture facts a guest kernel needs, as an SPI the arch bundles implement:
 * {@link dev.tether.guest.kernel.spi.LinuxAbi} (ELF machine, {@code struct stat}, the open flags
 * that differ, how a program starts and how its thread pointer is set), registered by each arch
 * bundle as an OSGi service with the property {@code tether.arch} (e.g. {@code amd64}). Layouts that
 * are the same on every 64-bit Linux ({@code statx}, {@code linux_dirent64}, {@code utsname},
 * {@code timespec}, the auxiliary vector) are the kernel bundle's own.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package dev.tether.guest.kernel.spi;
