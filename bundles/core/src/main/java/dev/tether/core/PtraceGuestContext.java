package dev.tether.core;

import dev.tether.abi.Signals;
import dev.tether.api.PlatformClosedException;
import dev.tether.api.Registers;
import dev.tether.api.StubDiedException;
import dev.tether.guest.GuestAddressSpace;
import dev.tether.guest.GuestContext;
import dev.tether.guest.GuestEvent;
import dev.tether.linux.LinuxException;
import dev.tether.linux.NativeMemory;
import dev.tether.linux.Sys;
import dev.tether.spi.GuestArch;
import dev.tether.spi.RegisterLayout;
import java.util.Arrays;
import java.util.Map;

/**
 * The user state of one guest thread and its interrupt forwarder (gVisor's {@code ptrace.context}
 * with {@code interrupt.Forwarder}, {@code pkg/sentry/platform/interrupt/interrupt.go}). The switch
 * itself is {@link Sysemu}'s.
 */
final class PtraceGuestContext implements GuestContext {
    /** The address space that made this context, which calls it (to interrupt it, and at its close). */
    private final GuestAddressSpace space;
    final SubprocessImpl subprocess;
    /** The FP regset the kernel accepts and its size, probed once by the first switch. */
    final FpRegset fpRegset;
    /** The context whose FP/TLS state each SYSEMU stub thread holds now (the address space's record). */
    private final Map<Tracee, PtraceGuestContext> loaded;
    /** Set by the address space's close (before it interrupts this context): no switch may start. */
    private volatile boolean spaceClosed;
    final RegisterLayout layout;
    final GuestArch arch;
    /** General registers, in the layout's words. */
    final long[] regs;
    /**
     * FP/vector state in the probed regset's bytes ({@link #fpLength} of them), or null until the
     * first switch sizes it (or Java sets it). Native memory: a switch reads the stub thread's state
     * straight into it and writes it back from it; Java sees copies ({@link #floatingPointState}),
     * so a switch copies nothing (2.4 KB of XSTATE here).
     */
    NativeMemory fp;
    int fpLength;
    /** Java changed {@link #fp} (or the TLS regset value) since the stub thread last got it. */
    boolean fpDirty = true;
    /** The thread pointer where it is a regset of its own (arm64); amd64 keeps it in {@link #regs}. */
    long tlsRegsetValue;
    boolean tlsDirty = true;
    boolean singleStep;
    /** See {@link #setLazyFloatingPoint}. */
    boolean lazyFp;
    /**
     * With lazy FP state: the stub thread whose FP registers are this context's current state
     * ({@link #fp} is stale then), or null when {@link #fp} is current.
     */
    Tracee fpHolder;
    /**
     * The Syscall events of this context by number, reused: a round trip allocates nothing (the
     * args array is refilled at each stop; GuestEvent.Syscall says so). Numbers beyond get a new
     * event each time.
     */
    private final GuestEvent.Syscall[] syscallEvents = new GuestEvent.Syscall[1024];

    /** The event for system call {@code nr}, its arguments to be filled by the caller. */
    GuestEvent.Syscall syscallEvent(long nr) {
        if (nr < 0 || nr >= syscallEvents.length) {
            return new GuestEvent.Syscall(nr, new long[6]);
        }
        GuestEvent.Syscall e = syscallEvents[(int) nr];
        if (e == null) {
            e = new GuestEvent.Syscall(nr, new long[6]);
            syscallEvents[(int) nr] = e;
        }
        return e;
    }

    /** The last SIGSEGV's address and IP, for the write-access guess (see {@link Sysemu}). */
    long lastFaultAddr = -1;
    long lastFaultIp = -1;

    private final Object interruptLock = new Object();
    /** The stub thread to signal while switched in ({@code Forwarder.dst}), else null. */
    private Tracee interruptTarget;
    private boolean interruptPending;
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

    PtraceGuestContext(GuestAddressSpace space, SubprocessImpl subprocess, GuestArch arch, FpRegset fpRegset,
            Map<Tracee, PtraceGuestContext> loaded) {
        this.space = space;
        this.subprocess = subprocess;
        this.fpRegset = fpRegset;
        this.loaded = loaded;
        this.layout = subprocess.first.regs.layout;
        this.arch = arch;
        long[] init = subprocess.first.initRegs().words();
        this.regs = init;
        regs[layout.instructionPointerIndex()] = 0;
        regs[layout.stackPointerIndex()] = 0;
        if (arch.tlsRegisterIndex() >= 0) {
            regs[arch.tlsRegisterIndex()] = 0;
        }
    }

    /** The address space is closed: a switch from now on throws. */
    void spaceClosed() {
        spaceClosed = true;
    }

    /** Whether stub thread {@code t} holds this context's FP/TLS state now. */
    boolean loadedIn(Tracee t) {
        return loaded.get(t) == this;
    }

    /** The context whose state stub thread {@code t} holds now, or null. */
    PtraceGuestContext heldBy(Tracee t) {
        return loaded.get(t);
    }

    /** Records that stub thread {@code t} holds this context's state now (a map write: only when it changes). */
    void nowLoadedIn(Tracee t) {
        loaded.put(t, this);
    }

    @Override
    public GuestAddressSpace addressSpace() {
        return space;
    }

    @Override
    public Registers registers() {
        return layout.wrap(regs.clone());
    }

    @Override
    public void setRegisters(Registers registers) {
        if (!registers.arch().equals(layout.arch()) || registers.size() != regs.length) {
            throw new IllegalArgumentException("registers of " + registers.arch() + " (" + registers.size()
                    + " words) given to a " + layout.arch() + " guest context (" + regs.length + " words)");
        }
        System.arraycopy(registers.words(), 0, regs, 0, regs.length);
    }

    private int index(String name) {
        int i = layout.names().indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException("no register " + name + " on " + layout.arch() + " (have " + layout.names() + ")");
        }
        return i;
    }

    @Override
    public long register(String name) {
        return regs[index(name)];
    }

    @Override
    public void setRegister(String name, long value) {
        regs[index(name)] = value;
    }

    @Override
    public long instructionPointer() {
        return regs[layout.instructionPointerIndex()];
    }

    @Override
    public void setInstructionPointer(long ip) {
        regs[layout.instructionPointerIndex()] = ip;
    }

    @Override
    public long stackPointer() {
        return regs[layout.stackPointerIndex()];
    }

    @Override
    public void setStackPointer(long sp) {
        regs[layout.stackPointerIndex()] = sp;
    }

    @Override
    public void setSyscallResult(long value) {
        regs[layout.returnValueIndex()] = value;
    }

    @Override
    public long tls() {
        return arch.tlsRegisterIndex() >= 0 ? regs[arch.tlsRegisterIndex()] : tlsRegsetValue;
    }

    @Override
    public void setTls(long value) {
        if (arch.tlsRegisterIndex() >= 0) {
            regs[arch.tlsRegisterIndex()] = value;
        } else {
            tlsRegsetValue = value;
            tlsDirty = true;
        }
    }

    @Override
    public byte[] floatingPointState() {
        if (fpHolder != null) {
            try {
                fetchFloatingPoint();
            } catch (LinuxException e) {
                throw NativeErrors.api(e);
            }
        }
        if (fp == null) {
            // not switched yet: the fresh state the first switch will load
            return fpRegset.size() == 0 ? new byte[0]
                    : arch.initialFloatingPointState(fpRegset.regset(), fpRegset.size());
        }
        byte[] out = new byte[fpLength];
        fp.read(0, out, 0, fpLength);
        return out;
    }

    @Override
    public void setFloatingPointState(byte[] state) {
        if (fp != null && state.length != fpLength) {
            throw new IllegalArgumentException("FP state of " + fpLength + " bytes expected (regset 0x"
                    + Integer.toHexString(fpRegset.regset()) + "), got " + state.length);
        }
        loadFloatingPoint(state);
        fpHolder = null;
    }

    /** Makes {@code state} this context's FP state (to be written to the stub thread at the next switch). */
    void loadFloatingPoint(byte[] state) {
        if (fp == null) {
            fp = NativeMemory.allocate(Math.max(8, state.length));
            fpLength = state.length;
        }
        fp.write(0, state, 0, state.length);
        fpDirty = true;
    }

    @Override
    public void setLazyFloatingPoint(boolean lazy) {
        if (!lazy && fpHolder != null) {
            try {
                fetchFloatingPoint();
            } catch (LinuxException e) {
                throw NativeErrors.api(e);
            }
        }
        lazyFp = lazy;
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
            Sysemu.readFloatingPoint(this, h);
        }
        fpHolder = null;
    }

    @Override
    public void setSingleStep(boolean singleStep) {
        this.singleStep = singleStep;
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
                throw new PlatformClosedException("guest address space " + subprocess.pid() + " is closed");
            }
            Tracee t;
            try {
                t = subprocess.sysemuThreadFor(me);
            } catch (StubDiedException e) {
                return exited(e); // sysemuThreadFor reported the death to the subprocess already
            }
            return Sysemu.run(this, t);
        } catch (LinuxException e) {
            throw NativeErrors.api(e);
        } finally {
            switchedIn = null;
            if (awaiting != 0) {
                synchronized (interruptLock) {
                    interruptLock.notifyAll();
                }
            }
        }
    }

    static GuestEvent exited(StubDiedException e) {
        return new GuestEvent.Exited(e.waitStatus(), e.getMessage());
    }

    /** Forwarder.Enable: false (and the pending interrupt consumed) if one is pending. */
    boolean enableInterrupts(Tracee t) {
        synchronized (interruptLock) {
            if (interruptPending) {
                interruptPending = false;
                return false;
            }
            interruptTarget = t;
            return true;
        }
    }

    void disableInterrupts() {
        synchronized (interruptLock) {
            interruptTarget = null;
        }
    }

    /**
     * NotifyInterrupt: a SIGCHLD to the stub thread running the guest (gVisor's {@code thread.NotifyInterrupt},
     * tgkill), whose signal stop {@link Sysemu} reports as {@link GuestEvent.Interrupted}; if none runs, the
     * next switch returns at once.
     */
    @Override
    public void interrupt() {
        synchronized (interruptLock) {
            Tracee t = interruptTarget;
            if (t == null) {
                interruptPending = true;
                return;
            }
            try {
                Sys.tgkill(t.tgid, t.tid, Signals.SIGCHLD);
            } catch (LinuxException e) {
                // ESRCH: the stub thread is gone; the switch reports its death
            }
        }
    }

    /** Waits until no thread is switched into this context (for the address space's close). */
    void awaitSwitchedOut() {
        synchronized (interruptLock) {
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
                        interruptLock.wait(Math.max(1, left / 1_000_000));
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
        return "guest context in subprocess " + subprocess.pid() + " ip=0x" + Long.toHexString(instructionPointer())
                + " regs=" + Arrays.toString(regs);
    }
}
