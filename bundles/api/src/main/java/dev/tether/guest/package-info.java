/**
 * Guests: programs that run inside a subprocess with every system call they make trapped into Java.
 * <p>
 * A {@link dev.tether.guest.GuestPlatform} (an OSGi service; several mechanisms may be registered side by
 * side, told apart by the service property {@value dev.tether.guest.GuestPlatform#PLATFORM_PROPERTY} and
 * ranked by {@code service.ranking}) makes {@link dev.tether.guest.GuestAddressSpace}s: a subprocess whose
 * memory the caller fills (through {@link dev.tether.api.Subprocess}'s map/read/write operations) and in
 * which {@link dev.tether.guest.GuestContext}s run. {@link dev.tether.guest.GuestContext#switchTo()} runs a
 * context's code until the next {@link dev.tether.guest.GuestEvent}: a system call (which did not run: the
 * caller emulates it and sets the result), a fault, a signal, an interrupt from another Java thread, or
 * the end of the guest. This is the contract of gVisor's {@code platform.Context.Switch}
 * ({@code pkg/sentry/platform/platform.go} in github.com/google/gvisor), in plain Java: no OSGi types,
 * so that a guest kernel can be written and tested against it without a framework.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package dev.tether.guest;
