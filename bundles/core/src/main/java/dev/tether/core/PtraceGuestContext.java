package dev.tether.core;

import dev.tether.api.PlatformClosedException;
import dev.tether.api.StubDiedException;
import dev.tether.guest.GuestAddressSpace;
import dev.tether.guest.GuestContext;
import dev.tether.guest.GuestEvent;
import dev.tether.guest.spi.RegisterWordsContext;
import dev.tether.linux.LinuxException;
import dev.tether.spi.GuestArch;
import java.util.Arrays;

/**
 * One guest thread as the API's {@link GuestContext} (gVisor's {@code ptrace.context}): its user
 * state ({@link GuestState}), its interrupt forwarder ({@link InterruptForwarder}) and who is
 * switched in. The switch itself is {@link Sysemu}'s, which this calls. Its address space makes it
 * and tells it when it closes; it knows that space only as the API's {@link GuestAddressSpace}.
 */
final class PtraceGuestContext extends RegisterWordsContext {
    private final GuestAddressSpace space;
    /** The registers, FP and TLS state, and where they live. */
    private final GuestState state;
    private final GuestArch arch;
    private final InterruptForwarder interrupts = new InterruptForwarder();
    /** Set by the address space's close (before it interrupts this context): no switch may start. */
    private volatile boolean spaceClosed;

    /**
     * The thread that switched this context last and its SYSEMU stub thread (switching threads
     * only): a caller's stub thread is made once and kept as long as the subprocess is usable, so a
     * context switched again by the same thread skips the subprocess's map lookup.
     */
    private Thread lastCaller;
    private Tracee lastSysemuThread;

    /** Guards {@link #awaiting}, and what {@link #awaitSwitchedOut} waits on. */
    private final Object switchLock = new Object();
    /**
     * The thread switched in now, or null: set and cleared without the lock (a switch is a few
     * µs, and a monitor notifyAll at each one showed in its profile); {@link #awaitSwitchedOut}
     * says it waits by counting itself in {@link #awaiting}, and only then does a switch's end take the lock to
     * notify it. Both fields are volatile, so either the waiter sees the switch ended or the
     * switching thread sees the waiter.
     */
    private volatile Thread switchedIn;
    /** How many threads are in {@link #awaitSwitchedOut} (changed under the lock only). */
    private volatile int awaiting;
    private static final java.lang.invoke.VarHandle SWITCHED_IN;

    static {
        try {
            SWITCHED_IN = java.lang.invoke.MethodHandles.lookup().findVarHandle(PtraceGuestContext.class, "switchedIn", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    PtraceGuestContext(GuestAddressSpace space, GuestState state) {
        super(state.layout, state.regs);
        this.space = space;
        this.state = state;
        this.arch = state.arch;
    }

    /** The address space is closed: a switch from now on throws. */
    void spaceClosed() {
        spaceClosed = true;
    }

    @Override
    public GuestAddressSpace addressSpace() {
        return space;
    }

    @Override
    public long tls() {
        return arch.tlsRegisterIndex() >= 0 ? words[arch.tlsRegisterIndex()] : state.tlsRegsetValue;
    }

    @Override
    public void setTls(long value) {
        if (arch.tlsRegisterIndex() >= 0) {
            words[arch.tlsRegisterIndex()] = value;
        } else {
            state.tlsRegsetValue = value;
            state.tlsDirty = true;
        }
    }

    @Override
    public byte[] floatingPointState() {
        if (state.fpHolder != null) {
            try {
                state.fetchFloatingPoint();
            } catch (LinuxException e) {
                throw NativeErrors.api(e);
            }
        }
        if (state.fp == null) {
            // not switched yet: the fresh state the first switch will load
            FpRegset fp = knownFpRegset();
            return arch.initialFloatingPointState(fp.regset(), fp.size());
        }
        byte[] out = new byte[state.fpLength];
        state.fp.read(0, out, 0, state.fpLength);
        return out;
    }

    @Override
    public void setFloatingPointState(byte[] fpState) {
        FpRegset fp = knownFpRegset();
        if (fpState.length != fp.size()) {
            throw new IllegalArgumentException("FP state of " + fp.size() + " bytes expected (regset 0x"
                    + Integer.toHexString(fp.regset()) + "), got " + fpState.length);
        }
        state.loadFloatingPoint(fpState);
        state.fpHolder = null;
    }

    /**
     * The platform's FP regset and size. The first switch probes them; asked before any switch
     * ran, this probes them through the subprocess's first stub thread (on its owner, so the
     * caller gets no stub thread it would have to outlive), so that a fresh context shows the state
     * its first switch loads and a state of the wrong size is refused when set, not at that switch.
     */
    private FpRegset knownFpRegset() {
        FpRegset fp = state.fpRegset;
        if (fp.size() == 0) {
            try {
                state.subprocess.onFirstThread(tid -> {
                    fp.probe(tid);
                    return null;
                });
            } catch (LinuxException e) {
                throw NativeErrors.api(e);
            }
        }
        return fp;
    }

    @Override
    public void setLazyFloatingPoint(boolean lazy) {
        if (!lazy && state.fpHolder != null) {
            try {
                state.fetchFloatingPoint();
            } catch (LinuxException e) {
                throw NativeErrors.api(e);
            }
        }
        state.lazyFp = lazy;
    }

    @Override
    public void setSingleStep(boolean singleStep) {
        state.singleStep = singleStep;
    }

    @Override
    public GuestEvent switchTo() {
        Thread me = Thread.currentThread();
        if (!SWITCHED_IN.compareAndSet(this, null, me)) {
            Thread other = switchedIn;
            throw new IllegalStateException("guest context is switched in by " + (other == null ? "another thread" : other.getName())
                    + "; " + me.getName() + " cannot switch it too");
        }
        try {
            if (spaceClosed) {
                throw new PlatformClosedException("guest address space " + state.subprocess.pid() + " is closed");
            }
            Tracee t = me == lastCaller ? lastSysemuThread : null;
            try {
                if (t == null) {
                    t = state.subprocess.sysemuThreadFor(me);
                    lastSysemuThread = t;
                    lastCaller = me;
                } else {
                    state.subprocess.checkUsable(); // what sysemuThreadFor checks before its lookup
                }
            } catch (StubDiedException e) {
                return Sysemu.exited(e); // sysemuThreadFor reported the death to the subprocess already
            }
            return Sysemu.run(state, interrupts, t);
        } catch (LinuxException e) {
            throw NativeErrors.guestState(e);
        } finally {
            switchedIn = null;
            if (awaiting != 0) {
                synchronized (switchLock) {
                    switchLock.notifyAll();
                }
            }
        }
    }

    /**
     * NotifyInterrupt: a SIGCHLD to the stub thread running the guest, whose signal stop
     * {@link Sysemu} reports as {@link GuestEvent.Interrupted}; if none runs, the next switch returns
     * at once ({@link InterruptForwarder}).
     */
    @Override
    public void interrupt() {
        interrupts.notifyInterrupt();
    }

    /** Waits until no thread is switched into this context (for the address space's close). */
    void awaitSwitchedOut() {
        synchronized (switchLock) {
            awaiting++;
            try {
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (true) {
                    Thread in = switchedIn;
                    if (in == null || in == Thread.currentThread()) {
                        return;
                    }
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return; // a switch that does not return is reported by its own thread
                    }
                    try {
                        switchLock.wait(Math.max(1, left / 1_000_000));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            } finally {
                awaiting--;
            }
        }
    }

    @Override
    public String toString() {
        return "guest context in subprocess " + state.subprocess.pid() + " ip=0x" + Long.toHexString(instructionPointer())
                + " regs=" + Arrays.toString(words);
    }
}
