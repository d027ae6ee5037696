package dev.tether.trap;

import dev.tether.api.Subprocess;
import dev.tether.guest.GuestAddressSpace;
import dev.tether.guest.GuestContext;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * One trap guest's address space: a subprocess of the stub platform with the trap platform's pages
 * ({@link SpacePages}), its contexts, and its subprocess as users see it ({@link GuardedSubprocess}).
 */
final class TrapAddressSpace implements GuestAddressSpace {
    private final TrapServices p;
    private final SpacePages pages;
    private final GuardedSubprocess guarded;
    private final Set<TrapContext> contexts = ConcurrentHashMap.newKeySet();
    /** Told once this space is closed (the platform forgets it). */
    private final Consumer<TrapAddressSpace> onClosed;

    TrapAddressSpace(TrapServices p, Subprocess sp, long stub, Consumer<TrapAddressSpace> onClosed) {
        this.p = p;
        this.onClosed = onClosed;
        this.pages = new SpacePages(p, sp, stub);
        this.guarded = new GuardedSubprocess(sp, pages.low, pages.stub, this::close);
    }

    @Override
    public Subprocess subprocess() {
        return guarded;
    }

    @Override
    public GuestContext newContext() {
        pages.checkOpen();
        TrapContext c = new TrapContext(this, pages, p);
        contexts.add(c);
        return c;
    }

    @Override
    public void close() {
        close(false);
    }

    /**
     * Wakes every switch and waits until it returned, kills and reaps the subprocess (a trap
     * subprocess never goes back to the pool), then unmaps the regions from the JVM.
     */
    void close(boolean byPlatform) {
        if (!pages.markClosed(byPlatform)) {
            return;
        }
        for (TrapContext c : contexts) {
            c.wakeForClose();
        }
        for (TrapContext c : contexts) {
            c.awaitSwitchedOut();
        }
        try {
            pages.sp.destroy();
        } catch (RuntimeException e) {
            // already dead (killed from outside) or its platform closed: nothing is left to kill
        }
        for (TrapContext c : contexts) {
            c.release();
        }
        contexts.clear();
        onClosed.accept(this);
    }
}
