package dev.tether.trap;

import dev.tether.guest.spi.StubThreads;
import dev.tether.seccomp.SyscallTable;
import dev.tether.spi.GuestArch;
import dev.tether.spi.RegisterLayout;
import dev.tether.spi.TrapArch;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What every address space and context of one trap platform shares: the host arch's services, core's
 * stub threads, the system call numbers the platform makes, the spin budgets and the compiled guest
 * thread filters. The platform makes it; the rooms below it read it, so none of them needs the platform.
 */
final class TrapServices {
    final StubThreads threads;
    final GuestArch guestArch;
    final TrapArch trapArch;
    final RegisterLayout layout;
    final SyscallTable table;
    /** Java's spin budget in ns and the handler's in polls (both 0 with fewer than two usable CPUs). */
    final long javaSpinNanos;
    final long handlerSpins;
    /** The CPUs this process may use (sched_getaffinity(2) of the process, at construction). */
    final long[] usableMask;
    final long futexNr;
    final long ftruncateNr;
    final long sigaltstackNr;
    final long seccompNr;
    final long rtSigactionNr;
    private final Map<Long, byte[]> filters = new ConcurrentHashMap<>();

    TrapServices(StubThreads threads, GuestArch guestArch, TrapArch trapArch, RegisterLayout layout, SyscallTable table,
            long javaSpinNanos, long handlerSpins, long[] usableMask) {
        this.threads = threads;
        this.guestArch = guestArch;
        this.trapArch = trapArch;
        this.layout = layout;
        this.table = table;
        this.javaSpinNanos = javaSpinNanos;
        this.handlerSpins = handlerSpins;
        this.usableMask = usableMask;
        this.futexNr = table.require("futex");
        this.ftruncateNr = table.require("ftruncate");
        this.sigaltstackNr = table.require("sigaltstack");
        this.seccompNr = table.require("seccomp");
        this.rtSigactionNr = table.require("rt_sigaction");
    }

    /** The guest thread's filter for code page {@code code}, as bytes in the host's order (compiled once per address). */
    byte[] filter(long code) {
        return filters.computeIfAbsent(code, c -> ThreadFilter.compile(table, trapArch, c).toBytes(ByteOrder.nativeOrder()));
    }
}
