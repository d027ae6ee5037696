package dev.tether.guest.spi;

import dev.tether.guest.GuestEvent;

/**
 * One guest context's Syscall events, one per system call number and reused, so that a round trip
 * allocates nothing ({@link GuestEvent.Syscall} lets a platform return the same object, its args array
 * refilled, from a later switch of the same context). The caller fills {@code args} of the event it gets.
 * Not thread-safe: a context is switched by one thread at a time.
 */
public final class SyscallEvents {
    /**
     * Numbers below this are cached. Both arches' tables end far below it today (the 400s:
     * arch/x86/entry/syscalls/syscall_64.tbl, include/uapi/asm-generic/unistd.h); a number beyond (such
     * as x32's, with bit 30 set: arch/x86/include/uapi/asm/unistd.h) gets a new event each time.
     */
    public static final int CACHED = 1024;

    private final GuestEvent.Syscall[] events = new GuestEvent.Syscall[CACHED];

    /** The event for system call {@code nr}, its arguments to be filled by the caller. */
    public GuestEvent.Syscall of(long nr) {
        if (nr < 0 || nr >= CACHED) {
            return new GuestEvent.Syscall(nr, new long[6]);
        }
        GuestEvent.Syscall e = events[(int) nr];
        if (e == null) {
            e = new GuestEvent.Syscall(nr, new long[6]);
            events[(int) nr] = e;
        }
        return e;
    }
}
