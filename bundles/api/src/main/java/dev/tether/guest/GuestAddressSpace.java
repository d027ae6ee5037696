package dev.tether.guest;

import dev.tether.api.Subprocess;

/**
 * The address space of one guest: a subprocess (gVisor's {@code platform.AddressSpace}). Its memory is
 * set up and accessed through {@link #subprocess()} (map, protect, unmap, read, write). Guest code runs
 * in {@link GuestContext}s made by {@link #newContext()}.
 */
@org.osgi.annotation.versioning.ProviderType
public interface GuestAddressSpace extends AutoCloseable {

    /** The subprocess behind this address space: its memory operations and its liveness. */
    Subprocess subprocess();

    /**
     * A new context for one guest thread in this address space: general registers as the stub's
     * initial registers with the instruction and stack pointers zero, the FP/vector state of a fresh
     * thread, TLS zero. Set at least the instruction and stack pointers before the first
     * {@link GuestContext#switchTo()}.
     */
    GuestContext newContext();

    /** Kills the subprocess and every context's stub thread in it (idempotent). */
    @Override
    void close();
}
