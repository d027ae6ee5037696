package dev.tether.trap;

import dev.tether.spi.TrapRegion;

/**
 * A trap context's thread pointer (docs/trap.md, sections 4 and 9). Where it is a general register
 * (amd64 {@code fs_base}, which the frame does not hold) it lives in the context's words and the handler
 * loads it with {@code arch_prctl} when Java changed it. Where it is not (arm64 TPIDR_EL0, which signal
 * delivery and rt_sigreturn leave alone) Java keeps it here: the handler reports the guest's value at
 * {@link TrapRegion#TLS} on every entry and loads Java's on {@link TrapRegion#SET_TLS}; a new context sets
 * 0, as a ptrace context does, which needs a first event before the guest runs ({@link #needsBoot()}).
 */
final class ThreadPointer {
    /** The word of the general registers, or -1. */
    private final int index;
    private final boolean byHandler;
    private final String arch;
    /** The register's value the handler last loaded or the thread started with (index >= 0). */
    private long atEvent;
    /** The value where it is no register (index < 0), and whether Java set it since the last event. */
    private long value;
    private boolean set;

    ThreadPointer(int index, boolean byHandler, String arch) {
        this.index = index;
        this.byHandler = byHandler;
        this.arch = arch;
        this.set = index < 0 && byHandler;
    }

    long get(long[] words) {
        return index >= 0 ? words[index] : value;
    }

    void set(long[] words, long v) {
        if (index >= 0) {
            words[index] = v;
        } else if (byHandler) {
            value = v;
            set = true;
        } else {
            throw new UnsupportedOperationException("the trap platform keeps no thread pointer on " + arch);
        }
    }

    /** Whether a value Java set can only reach the thread through the handler, so the thread must first run into it. */
    boolean needsBoot() {
        return set;
    }

    /** The thread was detached with {@code words}. */
    void started(long[] words) {
        atEvent = get(words);
    }

    /** Before {@code RESUME}: asks the handler to load the thread pointer if Java changed it. */
    void resume(Region region, long[] words) {
        if (!byHandler) {
            return;
        }
        if (index >= 0 && words[index] != atEvent) {
            region.put(TrapRegion.TLS, words[index]);
            region.put(TrapRegion.SET_TLS, 1);
            atEvent = words[index];
        } else if (set) {
            region.put(TrapRegion.TLS, value);
            region.put(TrapRegion.SET_TLS, 1);
            set = false;
        }
    }

    /** At an event: what the handler reported, where the thread pointer is no register. */
    void event(Region region) {
        if (index < 0 && byHandler) {
            value = region.get(TrapRegion.TLS);
        }
    }
}
