package dev.tether.core;

import dev.tether.api.PlatformClosedException;
import dev.tether.api.StubDiedException;
import dev.tether.api.Subprocess;
import dev.tether.guest.GuestAddressSpace;
import dev.tether.guest.GuestContext;
import dev.tether.spi.GuestArch;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A guest address space: one subprocess (gVisor's {@code subprocess} as a {@code platform.AddressSpace}).
 * Makes its contexts and keeps the record, shared by their states, of whose FP state each of its SYSEMU
 * stub threads holds, so that a context switched again on the same thread writes its FP state back only
 * when Java changed it. It calls its contexts (to make, interrupt and close them); they know it only as
 * a {@link GuestAddressSpace}.
 */
final class PtraceAddressSpace implements GuestAddressSpace {
    private final SubprocessImpl subprocess;
    private final GuestArch arch;
    private final FpRegset fpRegset;
    /** The state whose FP/TLS state each SYSEMU stub thread holds now. */
    private final Map<Tracee, GuestState> loaded = new ConcurrentHashMap<>();
    /** How many times {@link #loaded} changed (see {@link GuestState#loadedIn}). */
    private final AtomicInteger loads = new AtomicInteger();
    private final Set<PtraceGuestContext> contexts = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    PtraceAddressSpace(SubprocessImpl subprocess, GuestArch arch, FpRegset fpRegset) {
        this.subprocess = subprocess;
        this.arch = arch;
        this.fpRegset = fpRegset;
    }

    @Override
    public Subprocess subprocess() {
        return subprocess;
    }

    @Override
    public GuestContext newContext() {
        checkOpen();
        PtraceGuestContext c = new PtraceGuestContext(this, new GuestState(subprocess, arch, fpRegset, loaded, loads));
        contexts.add(c);
        if (closed) {
            c.spaceClosed(); // closed meanwhile, perhaps before the close saw this context
        }
        return c;
    }

    private void checkOpen() {
        if (closed) {
            throw new PlatformClosedException("guest address space " + subprocess.pid() + " is closed");
        }
    }

    /**
     * Interrupts every context switched in now, then releases the subprocess to the platform's pool
     * (gVisor's {@code subprocess.Release}: its memory is unmapped, its stub threads stay for the next
     * user). A context still switched in returns {@link dev.tether.guest.GuestEvent.Interrupted} and
     * its next switch throws.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (PtraceGuestContext c : contexts) {
            c.spaceClosed();
            c.interrupt();
        }
        for (PtraceGuestContext c : contexts) {
            c.awaitSwitchedOut();
        }
        loaded.clear();
        loads.incrementAndGet();
        try {
            subprocess.close();
        } catch (StubDiedException e) {
            // it had died (killed from outside, or a thread that used it ended: PTRACE_O_EXITKILL);
            // the release found that out and destroyed it: nothing is left to close
        }
    }
}
