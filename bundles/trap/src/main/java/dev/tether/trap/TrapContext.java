package dev.tether.trap;

import dev.tether.abi.Signals;
import dev.tether.api.PlatformClosedException;
import dev.tether.guest.GuestAddressSpace;
import dev.tether.guest.GuestEvent;
import dev.tether.guest.spi.DetachableThread;
import dev.tether.guest.spi.RegisterWordsContext;
import dev.tether.linux.LinuxException;
import dev.tether.linux.SharedMemory;
import dev.tether.linux.Sys;
import dev.tether.spi.TrapRegion;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One guest thread on the trap platform: its state in Java between events, its region, its detached
 * stub thread, and Java's side of the protocol (docs/trap.md, section 4).
 */
final class TrapContext extends RegisterWordsContext {
    private static final GuestEvent.Interrupted INTERRUPTED = new GuestEvent.Interrupted();
    /** An interrupt signal nobody waits for any more (see {@link #interrupt}): resume and wait again. */
    private static final GuestEvent SPURIOUS = new GuestEvent.Interrupted();

    /** The address space as its users see it (what {@link #addressSpace} returns). */
    private final GuestAddressSpace owner;
    private final SpacePages space;
    private final TrapServices p;
    private final int[] frameOffsets;
    private final ThreadPointer tls;
    /** What the current event is, read from the region's siginfo and frame. */
    private final FrameDecoder decoder;
    /** FP state Java set, to be written at the next switch, or null. */
    private byte[] fpSet;
    /** A new thread's FP state size, in the arch's base FP regset (TrapArch.fpStateSize, asked once). */
    private final int fpSize;
    /** The thread's first event is the boot fault of {@link #start}: it only carries this context's state into the frame. */
    private boolean booting;
    private boolean singleStep;
    private Region region;
    private int slot = -1;
    private int tid;
    /**
     * This context's stub thread, made but not yet detached: a detach the kernel refused (a
     * register value, say) leaves it traced and stopped, and the next switch tries again.
     */
    private DetachableThread settingUp;
    /** Detached: the guest thread runs, or waits in its handler. */
    private boolean started;
    /** The current event's ucontext in the region (its FP state is read there only when asked); -1 while the guest runs. */
    private int ucOff = -1;
    private boolean released;
    private GuestEvent.Exited exited;
    private final AtomicReference<Thread> switching = new AtomicReference<>();
    private volatile boolean interruptRequested;
    /** Set once close waits in {@link #awaitSwitchedOut}: a switch that ends then notifies it. */
    private volatile boolean closeWaits;
    /** Java's half of the hand-off on the region's STATE word: spin, sleep, wake. */
    private final Handoff handoff;
    /** Where the guest thread runs: on the Java thread's CPU, or off it while both spin. */
    final GuestPlacement placement;

    TrapContext(GuestAddressSpace owner, SpacePages space, TrapServices p) {
        super(p.layout, space.initWords.clone());
        this.owner = owner;
        this.space = space;
        this.p = p;
        this.frameOffsets = p.trapArch.frameOffsets();
        this.tls = new ThreadPointer(p.guestArch.tlsRegisterIndex(), p.trapArch.tlsByHandler(), p.layout.arch());
        this.fpSize = p.trapArch.fpStateSize();
        this.decoder = new FrameDecoder(p, space.sp);
        this.handoff = new Handoff(p);
        this.placement = new GuestPlacement(p.usableMask);
    }

    // ---------------------------------------------------------------- state

    @Override
    public GuestAddressSpace addressSpace() {
        return owner;
    }

    @Override
    public long tls() {
        return tls.get(words);
    }

    @Override
    public void setTls(long value) {
        tls.set(words, value);
    }

    /** The FP state: what Java set, else the frame's (read in place), else a fresh thread's (before the first switch). */
    @Override
    public synchronized byte[] floatingPointState() {
        if (fpSet != null) {
            return fpSet.clone();
        }
        if (released) {
            throw new PlatformClosedException("trap guest address space " + space.sp.pid() + " is closed");
        }
        byte[] frame = ucOff >= 0 ? p.trapArch.fpState(region.buf, ucOff) : null;
        if (frame != null) {
            return frame;
        }
        int[] regsets = p.guestArch.floatingPointRegsets();
        return p.guestArch.initialFloatingPointState(regsets[regsets.length - 1], fpSize);
    }

    @Override
    public void setFloatingPointState(byte[] state) {
        // its size and the values the kernel would refuse: here, not as a SIGSEGV at rt_sigreturn or an EINVAL at the first run
        p.trapArch.checkFpState(state);
        fpSet = state.clone();
    }

    /** The FP state is always in the shared frame here: reading it costs no system call, so there is nothing to defer. */
    @Override
    public void setLazyFloatingPoint(boolean lazy) {
    }

    @Override
    public void setSingleStep(boolean singleStep) {
        if (singleStep && !p.trapArch.singleStepBySigreturn()) {
            throw new UnsupportedOperationException("single-stepping a trap guest on " + p.layout.arch() + ": the kernel's "
                    + "rt_sigreturn keeps the single-step flag only for a ptrace-stepped thread, and trap guests run untraced (use tether.platform=ptrace)");
        }
        this.singleStep = singleStep;
    }

    // ---------------------------------------------------------------- switch

    @Override
    public GuestEvent switchTo() {
        Thread me = Thread.currentThread();
        if (!switching.compareAndSet(null, me)) {
            Thread other = switching.get();
            throw new IllegalStateException("this guest context is switched in by " + (other == null ? "another thread" : other.getName()) + " now");
        }
        try {
            space.checkOpen();
            if (exited != null) {
                return exited;
            }
            if (interruptRequested) {
                interruptRequested = false;
                return INTERRUPTED;
            }
            boolean fresh = !started;
            if (fresh) {
                try {
                    start(); // before the binding below: core's set-up hand-offs bind this thread their own way
                } catch (PlatformClosedException e) {
                    throw e;
                } catch (RuntimeException e) {
                    // the subprocess lives: the failure itself, and the next switch resumes the set-up where it stopped
                    exited = Liveness.killedDuringSetUp(space.sp.pid(), e);
                    return exited;
                }
            }
            int cpu = p.threads.enterSwitch(space.sp);
            try {
                while (true) {
                    placement.follow(tid, cpu, handoff.spinning());
                    if (fresh) {
                        fresh = false; // it runs since its detach
                    } else {
                        resume();
                    }
                    GuestEvent e = await();
                    if (e != SPURIOUS) {
                        return e;
                    }
                }
            } finally {
                p.threads.exitSwitch(space.sp, cpu);
            }
        } finally {
            switching.set(null);
            if (closeWaits) { // a monitor and notifyAll per switch showed in its profile: only when close waits
                synchronized (this) {
                    notifyAll();
                }
            }
        }
    }

    /**
     * The first switch: a region, a stub thread set up by injections, detached with this context's
     * state (docs/trap.md, section 5). Each step is kept once done, so a switch after a failed one
     * resumes from there: a detach the kernel refused (PTRACE_SETREGS answers EIO for an
     * {@code fs_base} outside user space) leaves the thread traced and stopped, ready for another.
     */
    private void start() {
        if (region == null) {
            space.ensureHandler();
            slot = space.takeSlot();
            try {
                region = GuestThreadSetUp.mapRegion(p, space, space.regionAddress(slot));
            } catch (RuntimeException e) {
                space.freeSlot(slot);
                slot = -1;
                throw e;
            }
        }
        long remote = space.regionAddress(slot);
        if (settingUp == null) {
            settingUp = GuestThreadSetUp.newThread(p, space, region, remote);
            tid = settingUp.tid();
        }
        p.guestArch.setSingleStepping(words, singleStep);
        // Before the first run the whole FP/vector state is set (amd64: the XSAVE area, AVX and AVX-512 included):
        // Java's, or a fresh thread's; the stub thread's own is a copy of a JVM thread's, which must not reach a guest.
        byte[] fp = p.trapArch.firstRunFpState(fpSet);
        long[] run = words;
        boolean boot = tls.needsBoot();
        if (boot) {
            // No system call sets arm64's TPIDR_EL0 and detach sets only the general and FP registers: the
            // thread first runs into a fault at its region (mapped, never executable), whose event carries
            // this context's registers and thread pointer into the frame (resume) before the guest runs.
            run = words.clone();
            run[p.layout.instructionPointerIndex()] = remote + TrapRegion.SCRATCH;
            p.guestArch.setSingleStepping(run, false);
        }
        settingUp.detach(run, p.trapArch.firstRunFpRegset(), fp);
        settingUp = null;
        started = true;
        booting = boot;
        fpSet = null;
        tls.started(words);
        if (interruptRequested) {
            // interrupt() during the set-up found no thread to signal yet, or signalled a traced one,
            // which stopped in its tracer (this thread) and lost the signal: signal it again
            interrupt();
        }
    }

    /** Writes Java's state into the frame and lets the handler return into the guest. */
    private void resume() {
        int uc = ucOff;
        p.guestArch.setSingleStepping(words, singleStep);
        for (int i = 0; i < words.length; i++) {
            int off = frameOffsets[i];
            if (off >= 0) {
                region.put(uc + off, words[i]);
            }
        }
        if (fpSet != null) {
            synchronized (this) {
                try {
                    p.trapArch.putFpState(region.buf, uc, fpSet);
                } catch (IllegalStateException e) {
                    // the guest overwrote its frame's FP pointer or record (it may: docs/trap.md, section 7); only its own state is lost
                }
                fpSet = null;
            }
        }
        tls.resume(region, words);
        ucOff = -1;
        handoff.resume(region);
    }

    /** Waits for the handler's next event, with a liveness check after each timed-out sleep. */
    private GuestEvent await() {
        int r = handoff.await(region, space);
        while (true) {
            if (r == Handoff.EVENT) {
                return decode();
            }
            if (space.closed) {
                if (space.closedByPlatform) {
                    throw new PlatformClosedException("the trap guest platform was stopped while guest thread " + tid + " of subprocess "
                            + space.sp.pid() + " ran");
                }
                return INTERRUPTED;
            }
            if (r == Handoff.TIMED_OUT) {
                GuestEvent.Exited x = checkAlive();
                if (x != null) {
                    return x;
                }
            }
            r = handoff.sleep(region, space);
        }
    }

    /** Null while the guest thread exists; else the Exited event, kept for every later switch. */
    private GuestEvent.Exited checkAlive() {
        exited = Liveness.threadEnd(space.sp.pid(), tid);
        return exited;
    }

    /** Reads the event the handler published (docs/trap.md, section 4, step 4). */
    private GuestEvent decode() {
        int signo = (int) region.get(TrapRegion.SIGNO);
        int info = region.offsetOf(region.get(TrapRegion.SIGINFO), FrameDecoder.SIGINFO_SIZE);
        int uc = region.offsetOf(region.get(TrapRegion.UCONTEXT), FrameDecoder.UCONTEXT_READ);
        if (info < 0 || uc < 0) {
            // the guest wrote its own region (it may): nothing in the frame can be trusted; end it
            try {
                Sys.kill(space.sp.pid(), Signals.SIGKILL);
            } catch (LinuxException e) {
                // already gone
            }
            exited = new GuestEvent.Exited(Signals.SIGKILL, "guest thread " + tid + " corrupted its trap region (event pointers "
                    + "outside it); its subprocess was killed");
            return exited;
        }
        ucOff = uc;
        if (booting) {
            booting = false;
            if (interruptRequested) { // the interrupt signal came first; the next switch's resume still writes the state
                interruptRequested = false;
                return INTERRUPTED;
            }
            return SPURIOUS; // resume, writing this context's state over the boot fault's
        }
        tls.event(region);
        for (int i = 0; i < words.length; i++) {
            int off = frameOffsets[i];
            if (off >= 0) {
                words[i] = region.get(uc + off);
            }
        }
        GuestEvent e = decoder.classify(region, signo, info, uc, words);
        if (e == FrameDecoder.OUR_INTERRUPT) {
            if (interruptRequested) {
                interruptRequested = false;
                return INTERRUPTED;
            }
            return SPURIOUS;
        }
        return e;
    }

    // ---------------------------------------------------------------- interrupts and teardown

    /**
     * Makes the running switch (or the next) return Interrupted: a flag, and SIGCHLD to the guest
     * thread if it runs now, whose handler reports it (docs/trap.md, section 4).
     */
    @Override
    public void interrupt() {
        interruptRequested = true;
        if (switching.get() != null && tid > 0 && exited == null) {
            try {
                Sys.tgkill(space.sp.pid(), tid, Signals.SIGCHLD);
            } catch (LinuxException e) {
                // the thread is gone: the switch finds that out itself
            }
        }
    }

    /** Wakes a switch sleeping in await() so that it sees the address space closed. */
    void wakeForClose() {
        Region r = region;
        if (r != null && !released) {
            SharedMemory.futexWake(p.futexNr, r.jvmAddress + TrapRegion.STATE, Integer.MAX_VALUE);
        }
    }

    /** Waits (up to 10 s) until no thread is switched into this context. */
    synchronized void awaitSwitchedOut() {
        closeWaits = true;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (switching.get() != null && System.nanoTime() < deadline) {
            try {
                wait(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            wakeForClose();
        }
    }

    /** After the subprocess is gone: unmaps the region from the JVM and frees its slot. */
    synchronized void release() {
        if (released) {
            return;
        }
        released = true;
        if (switching.get() != null) {
            return; // a switch that did not return in time still reads it: leave it mapped
        }
        if (region != null) {
            region.unmap();
        }
        if (slot >= 0) {
            space.freeSlot(slot);
        }
    }
}
