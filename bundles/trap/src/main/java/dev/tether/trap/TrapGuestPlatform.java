package dev.tether.trap;

import dev.tether.api.FailureMode;
import dev.tether.api.PlatformClosedException;
import dev.tether.api.PlatformFacts;
import dev.tether.api.StubPlatform;
import dev.tether.api.Subprocess;
import dev.tether.guest.GuestAddressSpace;
import dev.tether.guest.GuestPlatform;
import dev.tether.guest.spi.StubThreads;
import dev.tether.linux.Sys;
import dev.tether.seccomp.SyscallTable;
import dev.tether.spi.GuestArch;
import dev.tether.spi.RegisterLayout;
import dev.tether.spi.TrapArch;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The trap guest mechanism (docs/trap.md; gVisor's {@code pkg/sentry/platform/systrap}) over a stub
 * platform: each address space is a subprocess; each context a stub thread there that was set up under
 * ptrace and then detached, whose system calls and faults reach Java through its SIGSYS handler and a
 * shared region. Public for flat class paths; in OSGi, {@link TrapPlatformComponent} registers it.
 */
public final class TrapGuestPlatform implements GuestPlatform, AutoCloseable {
    /** The value of {@value GuestPlatform#PLATFORM_PROPERTY} for this mechanism. */
    public static final String MECHANISM = "trap";
    /** Contexts per address space: the regions below the code page (docs/trap.md, section 2). */
    public static final int MAX_CONTEXTS = SpacePages.MAX_CONTEXTS;
    /** gVisor's deepSleepTimeoutNS (20 µs, {@code pkg/sentry/platform/systrap/shared_context.go}): spinning as gVisor does. */
    public static final long GVISOR_SPIN_MICROS = 20;
    /**
     * The default spin budget: gVisor's. It is used only when the process may run on two CPUs or more
     * (sched_getaffinity(2)); then both sides poll on different CPUs and a round trip makes no system
     * call but the guest's trap and its rt_sigreturn. On one CPU both sides sleep on the futex at once,
     * on that CPU ({@link GuestPlacement}). {@code spinMicros} 0 chooses that everywhere: no CPU burnt
     * while waiting, a round trip about as fast as the ptrace switch (README, Trap platform).
     */
    public static final long DEFAULT_SPIN_MICROS = GVISOR_SPIN_MICROS;
    /**
     * The handler's polls per µs of spin budget, measured once on this CPU: the handler has no clock
     * (no vDSO in a stub), and one {@code pause} takes from a few to ~140 cycles depending on the core
     * (Intel's optimization manual: ~140 on Skylake and later). HotSpot compiles
     * {@link Thread#onSpinWait()} to the same {@code pause} on x86-64, so timing a loop of it here gives
     * the rate of the handler's own poll loop (docs/trap.md, section 8). At least 1.
     */
    static final long HANDLER_POLLS_PER_MICRO = calibratePolls();

    private static long calibratePolls() {
        long best = Long.MAX_VALUE;
        for (int round = 0; round < 5; round++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < 20_000; i++) {
                Thread.onSpinWait();
            }
            best = Math.min(best, System.nanoTime() - t0);
        }
        return Math.max(1, 20_000L * 1000 / Math.max(1, best));
    }

    private final StubPlatform stubs;
    private final StubThreads threads;
    /** What its address spaces and contexts share. */
    private final TrapServices services;
    private final Set<TrapAddressSpace> spaces = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /**
     * @param spinMicros how long each side polls before it sleeps (µs, >= 0); used only when this JVM
     *        may run on two CPUs or more (on one, a spinning side only keeps the other from running)
     */
    public TrapGuestPlatform(StubPlatform stubs, StubThreads threads, GuestArch guestArch, TrapArch trapArch,
            RegisterLayout layout, SyscallTable table, long spinMicros) {
        if (spinMicros < 0 || spinMicros > 1_000_000) {
            throw new IllegalArgumentException("spinMicros must be 0..1000000, got " + spinMicros);
        }
        String arch = stubs.facts().arch();
        for (String a : new String[] {guestArch.arch(), trapArch.arch(), layout.arch(), table.arch()}) {
            if (!a.equals(arch)) {
                throw new IllegalArgumentException("the trap platform's arch services disagree: " + a + " for a stub platform of " + arch);
            }
        }
        this.stubs = stubs;
        this.threads = threads;
        long[] usableMask = Sys.getAffinity(Sys.getpid());
        boolean spin = count(usableMask) >= 2;
        this.services = new TrapServices(threads, guestArch, trapArch, layout, table, spin ? spinMicros * 1000 : 0,
                spin ? spinMicros * HANDLER_POLLS_PER_MICRO : 0, usableMask);
    }

    /** The CPUs in an affinity mask. */
    static int count(long[] mask) {
        int n = 0;
        for (long w : mask) {
            n += Long.bitCount(w);
        }
        return n;
    }

    @Override
    public String mechanism() {
        return MECHANISM;
    }

    @Override
    public String arch() {
        return services.guestArch.arch();
    }

    /** The spin budget in effect, in ns (0 with fewer than two usable CPUs). */
    public long spinNanos() {
        return services.javaSpinNanos;
    }

    /** The handler's polls before it sleeps (0 with fewer than two usable CPUs). */
    public long handlerPolls() {
        return services.handlerSpins;
    }

    @Override
    public GuestAddressSpace newAddressSpace() {
        if (closed) {
            throw new PlatformClosedException("the trap guest platform is closed");
        }
        PlatformFacts f = stubs.facts();
        if (f.failureMode() != FailureMode.CONTAINED) {
            // a trap subprocess is destroyed at close (its handlers and detached threads cannot go
            // back to the pool), and destroying a subprocess in fail-stop mode ends the JVM
            throw new UnsupportedOperationException("the trap guest platform needs the contained failure mode (this platform is "
                    + f.failureMode() + "); use tether.platform=ptrace");
        }
        // a fresh fork, never a pooled one: a pooled subprocess may hold a spare stub thread parked in group-stop
        Subprocess sp = stubs.forkSubprocess();
        try {
            threads.hostUntracedThreads(sp);
            TrapAddressSpace s = new TrapAddressSpace(services, sp, f.stubAddress(), spaces::remove);
            spaces.add(s);
            if (closed) {
                s.close(true);
                throw new PlatformClosedException("the trap guest platform is closed");
            }
            return s;
        } catch (RuntimeException e) {
            try {
                sp.destroy();
            } catch (RuntimeException again) {
                e.addSuppressed(again);
            }
            throw e;
        }
    }

    @Override
    public long guestLimit(long stubAddress) {
        return SpacePages.limit(stubAddress);
    }

    /** Closes every address space: running switches throw {@link PlatformClosedException}; no process is left. */
    @Override
    public void close() {
        closed = true;
        for (TrapAddressSpace s : spaces) {
            s.close(true);
        }
    }
}
