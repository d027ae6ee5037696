package dev.tether.core;

import dev.tether.guest.GuestEvent;
import dev.tether.guest.spi.SyscallEvents;
import dev.tether.linux.LinuxException;
import dev.tether.linux.NativeMemory;
import dev.tether.linux.Sys;
import dev.tether.spi.GuestArch;
import dev.tether.spi.RegisterLayout;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The user state of one guest thread (gVisor's {@code ptrace.context}'s registers and FP state),
 * and what a switch needs to know of where it lives: its subprocess, its arch, the probed FP
 * regset and its address space's record of which state each SYSEMU stub thread holds. The guest
 * context (the API) reads and writes it; a switch ({@link Sysemu}) loads it into a stub thread and
 * saves it back. It calls neither: both are above it.
 */
final class GuestState {
    final SubprocessImpl subprocess;
    final RegisterLayout layout;
    final GuestArch arch;
    final FpRegset fpRegset;
    /**
     * The state each SYSEMU stub thread of this address space holds now (shared by the space's
     * contexts), so that a state switched again on the same thread writes its FP state back only when
     * Java changed it.
     */
    private final Map<Tracee, GuestState> loaded;
    /**
     * How many times {@link #loaded} changed (shared like it): a state that finds it where it left
     * it after its own last load knows, without a map lookup, that its stub thread still holds it.
     */
    private final AtomicInteger loads;
    /** The stub thread this state was last loaded into, or null, and {@link #loads} after that (switching threads only). */
    private Tracee loadedIn;
    private int loadsSeen;
    /** General registers, in the layout's words. */
    final long[] regs;
    /**
     * FP/vector state in the probed regset's bytes ({@link #fpLength} of them), or null until the
     * first switch sizes it (or Java sets it). Native memory: a switch reads the stub thread's state
     * straight into it and writes it back from it; Java sees copies, so a switch copies nothing (2.4
     * KB of XSTATE here).
     */
    NativeMemory fp;
    int fpLength;
    /** Java changed {@link #fp} (or the TLS regset value) since the stub thread last got it. */
    boolean fpDirty = true;
    /** The thread pointer where it is a regset of its own (arm64); amd64 keeps it in {@link #regs}. */
    long tlsRegsetValue;
    boolean tlsDirty = true;
    boolean singleStep;
    /** With lazy FP state, the FP state stays in the stub thread until Java asks for it. */
    boolean lazyFp;
    /**
     * With lazy FP state: the stub thread whose FP registers are this state's current ones
     * ({@link #fp} is stale then), or null when {@link #fp} is current.
     */
    Tracee fpHolder;
    /** The last SIGSEGV's address and IP, for the write-access guess (see {@link Sysemu}). */
    long lastFaultAddr = -1;
    long lastFaultIp = -1;
    /** The native scratch of this state's switches (made by the first; see {@link SwitchScratch}). */
    SwitchScratch scratch;
    /** The subprocess's owner's pin releaser (null: each call gives its binding back at once). */
    final PinReleaser releaser;
    /** The stub thread whose tracer's pin {@link #pin} is, or null: see {@link #pinOf}. */
    private Tracee pinnedFor;
    private CallerPin pin;
    /** The Syscall events of this state by number, reused: a round trip allocates nothing. */
    private final SyscallEvents syscallEvents = new SyscallEvents();

    GuestState(SubprocessImpl subprocess, GuestArch arch, FpRegset fpRegset, Map<Tracee, GuestState> loaded, AtomicInteger loads) {
        this.subprocess = subprocess;
        this.layout = subprocess.first.regs.layout;
        this.arch = arch;
        this.fpRegset = fpRegset;
        this.loaded = loaded;
        this.loads = loads;
        this.releaser = subprocess.owner.releaser();
        long[] init = subprocess.first.initRegs().words();
        this.regs = init;
        regs[layout.instructionPointerIndex()] = 0;
        regs[layout.stackPointerIndex()] = 0;
        if (arch.tlsRegisterIndex() >= 0) {
            regs[arch.tlsRegisterIndex()] = 0;
        }
    }

    /** The event for system call {@code nr}, its arguments to be filled by the caller. */
    GuestEvent.Syscall syscallEvent(long nr) {
        return syscallEvents.of(nr);
    }

    long instructionPointer() {
        return regs[layout.instructionPointerIndex()];
    }

    /**
     * The CPU pin of the thread that traces stub thread {@code t} and is switching now (null for
     * a virtual thread: {@link TracerThread#callerPin}). A stub thread has one tracer for life and
     * a thread one pin, so the thread-local lookup is made only when the stub thread changes.
     */
    CallerPin pinOf(Tracee t) {
        if (t != pinnedFor) {
            pin = TracerThread.callerPin();
            pinnedFor = t;
        }
        return pin;
    }

    /** Whether stub thread {@code t} holds this state's FP/TLS state now. */
    boolean loadedIn(Tracee t) {
        // Only t's tracer (the caller, now) loads states into t, so if nothing was loaded anywhere
        // since this state was loaded into t, t holds it still: one read instead of a map lookup.
        if (t == loadedIn && loads.get() == loadsSeen) {
            return true;
        }
        return loaded.get(t) == this;
    }

    /** The state stub thread {@code t} holds now, or null. */
    GuestState heldBy(Tracee t) {
        return loaded.get(t);
    }

    /**
     * Records that stub thread {@code t} holds this state now (map writes: only when it changes).
     * The stub thread it was loaded into before is forgotten: the guest goes on changing its
     * state here, and a switch back there must write it again.
     */
    void nowLoadedIn(Tracee t) {
        Tracee before = loadedIn;
        if (before != null && before != t) {
            loaded.remove(before, this);
        }
        loaded.put(t, this);
        loadedIn = t;
        loadsSeen = loads.incrementAndGet();
    }

    /** Makes {@code state} this FP state (to be written to the stub thread at the next switch). */
    void loadFloatingPoint(byte[] state) {
        if (fp == null) {
            fp = NativeMemory.allocate(Math.max(8, state.length));
            fpLength = state.length;
        }
        fp.write(0, state, 0, state.length);
        fpDirty = true;
    }

    /**
     * Reads the FP state that {@link #fpHolder} holds into {@link #fp}; only its tracer may. The
     * stub thread keeps holding the same state, so the next switch there writes nothing.
     */
    void fetchFloatingPoint() {
        Tracee h = fpHolder;
        if (Thread.currentThread() != h.tracer) {
            throw new IllegalStateException("the lazy FP state of this guest context is in stub thread " + h.tid
                    + ", switched by thread " + h.tracer.getName() + ": only that thread can read it (call"
                    + " floatingPointState() there first), not " + Thread.currentThread().getName());
        }
        if (h.alive()) {
            try {
                Sys.getRegset(h.tid, fpRegset.regset(), fp, fpRegset.size());
            } catch (LinuxException e) {
                throw h.lost(e, "reading a guest's FP state");
            }
        }
        fpHolder = null;
    }
}
