package dev.tether.trap;

import dev.tether.abi.Errno;
import dev.tether.abi.Mman;
import dev.tether.abi.Signals;
import dev.tether.api.PlatformClosedException;
import dev.tether.api.Registers;
import dev.tether.api.SyscallFailedException;
import dev.tether.guest.FaultAccess;
import dev.tether.guest.GuestAddressSpace;
import dev.tether.guest.GuestContext;
import dev.tether.guest.GuestEvent;
import dev.tether.guest.spi.DetachableThread;
import dev.tether.linux.LinuxException;
import dev.tether.linux.SharedMemory;
import dev.tether.linux.Sys;
import dev.tether.spi.TrapRegion;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One guest thread on the trap platform: its state in Java between events, its region, its detached
 * stub thread, and Java's side of the protocol (docs/trap.md, section 4).
 */
final class TrapContext implements GuestContext {
    /** {@code si_code} values, include/uapi/asm-generic/siginfo.h: SYS_SECCOMP, SI_KERNEL, SI_TKILL, SEGV_MAPERR. */
    static final int SYS_SECCOMP = 1;
    static final int SI_KERNEL = 0x80;
    static final int SI_TKILL = -6;
    static final int SEGV_MAPERR = 1;
    /** siginfo_t offsets (include/uapi/asm-generic/siginfo.h, 64-bit): si_code, si_addr/si_call_addr/si_pid, si_syscall; its size. */
    static final int SI_CODE = 8;
    static final int SI_ADDR = 16;
    static final int SI_SYSCALL = 24;
    static final int SIGINFO_SIZE = 128;
    /** The part of ucontext_t Java reads: up to the end of uc_mcontext (amd64 256 bytes; arm64's registers end before 464). */
    static final int UCONTEXT_READ = 464;
    /** How long Java sleeps at most before it checks that the guest thread still exists. */
    static final long WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    /** ETIMEDOUT (include/uapi/asm-generic/errno.h). */
    static final int ETIMEDOUT = 110;
    private static final GuestEvent.Interrupted INTERRUPTED = new GuestEvent.Interrupted();
    /** An interrupt signal nobody waits for any more (see {@link #interrupt}): resume and wait again. */
    private static final GuestEvent SPURIOUS = new GuestEvent.Interrupted();

    final TrapAddressSpace space;
    private final TrapGuestPlatform p;
    private final long[] words;
    private final int[] frameOffsets;
    private final int tlsIndex;
    /** FP state Java set, to be written at the next switch, or null. */
    private byte[] fpSet;
    private long tlsAtEvent;
    private boolean singleStep;
    private Region region;
    private int slot = -1;
    private int tid;
    /** The current event's ucontext, FP area and its length in the region; -1 while the guest runs. */
    private int ucOff = -1;
    private int fpOff = -1;
    private int fpLen;
    private boolean released;
    private GuestEvent.Exited exited;
    private final AtomicReference<Thread> switching = new AtomicReference<>();
    private volatile boolean interruptRequested;
    private final GuestEvent.Syscall[] syscallEvents = new GuestEvent.Syscall[1024];
    /**
     * Spinning pays only while the two sides really run at once, on two CPUs. When the scheduler puts
     * them on one CPU (or other load leaves them one), each side spins out its whole budget while the
     * other cannot run: a round trip then costs both budgets. So after {@link #SPIN_MISSES} waits in a row
     * whose spin ran out (or whose handler had gone to sleep), spinning is turned off for
     * {@link #SPIN_PAUSE} round trips, then tried again (the floor's README: gVisor's Sentry turns its
     * fast path off the same way).
     */
    static final int SPIN_MISSES = 4;
    static final int SPIN_PAUSE = 2000;
    private int spinMisses;
    private int spinOffFor;

    TrapContext(TrapAddressSpace space) {
        this.space = space;
        this.p = space.p;
        this.words = space.initWords.clone();
        this.frameOffsets = p.trapArch.frameOffsets();
        this.tlsIndex = p.guestArch.tlsRegisterIndex();
    }

    // ---------------------------------------------------------------- state

    @Override
    public GuestAddressSpace addressSpace() {
        return space;
    }

    @Override
    public Registers registers() {
        return p.layout.wrap(words.clone());
    }

    @Override
    public void setRegisters(Registers registers) {
        if (!registers.arch().equals(p.layout.arch()) || registers.size() != words.length) {
            throw new IllegalArgumentException("registers of " + registers.arch() + " (" + registers.size()
                    + " words) given to a " + p.layout.arch() + " guest context (" + words.length + " words)");
        }
        System.arraycopy(registers.words(), 0, words, 0, words.length);
    }

    private int index(String name) {
        int i = p.layout.names().indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException("no register " + name + " on " + p.layout.arch() + " (have " + p.layout.names() + ")");
        }
        return i;
    }

    @Override
    public long register(String name) {
        return words[index(name)];
    }

    @Override
    public void setRegister(String name, long value) {
        words[index(name)] = value;
    }

    @Override
    public long instructionPointer() {
        return words[p.layout.instructionPointerIndex()];
    }

    @Override
    public void setInstructionPointer(long ip) {
        words[p.layout.instructionPointerIndex()] = ip;
    }

    @Override
    public long stackPointer() {
        return words[p.layout.stackPointerIndex()];
    }

    @Override
    public void setStackPointer(long sp) {
        words[p.layout.stackPointerIndex()] = sp;
    }

    @Override
    public void setSyscallResult(long value) {
        words[p.layout.returnValueIndex()] = value;
    }

    @Override
    public long tls() {
        return tlsIndex >= 0 ? words[tlsIndex] : 0;
    }

    @Override
    public void setTls(long value) {
        if (tlsIndex < 0) {
            throw new UnsupportedOperationException("the trap platform keeps no thread pointer register on " + p.layout.arch());
        }
        words[tlsIndex] = value;
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
        if (ucOff >= 0 && fpOff >= 0) {
            byte[] b = new byte[fpLen];
            region.buf.get(fpOff, b);
            return b;
        }
        int[] regsets = p.guestArch.floatingPointRegsets();
        return p.guestArch.initialFloatingPointState(regsets[regsets.length - 1], FXSAVE_LEGACY);
    }

    /** The FXSAVE area's size (Intel SDM vol. 1, 10.5): what a fresh thread's state is given as, and what is written before the first run. */
    static final int FXSAVE_LEGACY = 512;

    @Override
    public void setFloatingPointState(byte[] state) {
        fpSet = state.clone();
    }

    /** The FP state is always in the shared frame here: reading it costs no system call, so there is nothing to defer. */
    @Override
    public void setLazyFloatingPoint(boolean lazy) {
    }

    @Override
    public void setSingleStep(boolean singleStep) {
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
            while (true) {
                if (region == null) {
                    start();
                } else {
                    resume();
                }
                GuestEvent e = await();
                if (e != SPURIOUS) {
                    return e;
                }
            }
        } finally {
            switching.set(null);
            synchronized (this) {
                notifyAll();
            }
        }
    }

    /** The first switch: a region, a stub thread set up by injections, detached with this context's state (docs/trap.md, section 5). */
    private void start() {
        space.ensureHandler();
        slot = space.takeSlot();
        long remote = space.regionAddress(slot);
        try {
            region = Region.create(p.ftruncateNr, remote);
            space.sp.mapFile(remote, TrapRegion.SIZE, Mman.PROT_READ | Mman.PROT_WRITE, region.fd(), 0);
            region.closeFd();
        } catch (RuntimeException e) {
            if (region != null) {
                region.unmap();
                region = null;
            }
            space.freeSlot(slot);
            slot = -1;
            throw e;
        }
        region.put(TrapRegion.SPIN, p.handlerSpins);
        // stack_t {ss_sp, ss_flags, ss_size} (sigaltstack(2))
        int ss = TrapRegion.SCRATCH;
        region.put(ss, remote + TrapRegion.STACK);
        region.put(ss + 8, 0);
        region.put(ss + 16, TrapRegion.SIZE - TrapRegion.STACK);
        // struct sock_fprog {u16 len; sock_filter *filter} (seccomp(2)); the program on the unused stack
        byte[] prog = p.filter(space.code);
        int fprog = TrapRegion.SCRATCH + 0x20;
        region.buf.put(TrapRegion.STACK, prog);
        region.buf.putShort(fprog, (short) (prog.length / 8));
        region.put(fprog + 8, remote + TrapRegion.STACK);
        DetachableThread t = p.threads.newThread(space.sp);
        tid = t.tid();
        checkSetUp("sigaltstack", t.syscall(p.sigaltstackNr, remote + ss, 0));
        // SECCOMP_SET_MODE_FILTER = 1, no flags (include/uapi/linux/seccomp.h): this thread only
        checkSetUp("seccomp", t.syscall(p.seccompNr, 1, 0, remote + fprog));
        p.guestArch.setSingleStepping(words, singleStep);
        // Before the first run the FP state is set with the legacy regset (NT_PRFPREG: the FXSAVE area,
        // whose size does not depend on the CPU's XSTATE features): Java's, or a fresh thread's (the stub
        // thread's own registers are a copy of a JVM thread's, which must not leak into a guest).
        int[] regsets = p.guestArch.floatingPointRegsets();
        int legacy = regsets[regsets.length - 1];
        byte[] fp = Arrays.copyOf(fpSet != null ? fpSet : p.guestArch.initialFloatingPointState(legacy, FXSAVE_LEGACY), FXSAVE_LEGACY);
        fpSet = null;
        t.detach(words, legacy, fp);
        tlsAtEvent = tls();
    }

    private void checkSetUp(String call, long r) {
        if (r != 0) {
            throw new SyscallFailedException(call + " in a new trap guest thread of subprocess " + space.sp.pid(), (int) -r);
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
                if (fpOff >= 0) {
                    region.buf.put(fpOff, fpSet, 0, Math.min(fpSet.length, fpLen));
                }
                fpSet = null;
            }
        }
        if (p.trapArch.tlsByHandler() && tlsIndex >= 0 && words[tlsIndex] != tlsAtEvent) {
            region.put(TrapRegion.TLS, words[tlsIndex]);
            region.put(TrapRegion.SET_TLS, 1);
            tlsAtEvent = words[tlsIndex];
        }
        ucOff = -1;
        region.put(TrapRegion.SPIN, spinning() ? p.handlerSpins : 0);
        region.setVolatile(TrapRegion.STATE, TrapRegion.RESUME);
        if (region.getVolatile(TrapRegion.GUEST_SLEEPING) != 0) {
            SharedMemory.futexWake(p.futexNr, region.jvmAddress + TrapRegion.STATE, 1);
            spinMissed(); // the handler's spin ran out before Java answered
        }
    }

    /** Waits for the handler's next event: spin, then sleep on the futex with a timeout and a liveness check. */
    private GuestEvent await() {
        boolean spinning = spinning();
        if (spinOffFor > 0) {
            spinOffFor--;
        }
        long spin = spinning ? p.javaSpinNanos : 0;
        long t0 = spin > 0 ? System.nanoTime() : 0;
        while (true) {
            if (region.getAcquire(TrapRegion.STATE) == TrapRegion.EVENT) {
                if (spin > 0) {
                    spinMisses = 0;
                }
                return decode();
            }
            if (spin > 0) {
                if (System.nanoTime() - t0 < spin) {
                    Thread.onSpinWait();
                    continue;
                }
                spin = 0;
                spinMissed();
            }
            region.setVolatile(TrapRegion.JAVA_SLEEPING, 1);
            long s = region.getVolatile(TrapRegion.STATE);
            long r = 0;
            if (s != TrapRegion.EVENT && !space.closed) {
                r = SharedMemory.futexWait(p.futexNr, region.jvmAddress + TrapRegion.STATE, (int) s, WAIT_NANOS);
            }
            region.setVolatile(TrapRegion.JAVA_SLEEPING, 0);
            if (region.getAcquire(TrapRegion.STATE) == TrapRegion.EVENT) {
                return decode();
            }
            if (space.closed) {
                if (space.closedByPlatform) {
                    throw new PlatformClosedException("the trap guest platform was stopped while guest thread " + tid + " of subprocess "
                            + space.sp.pid() + " ran");
                }
                return INTERRUPTED;
            }
            if (r == -ETIMEDOUT) {
                GuestEvent.Exited x = checkAlive();
                if (x != null) {
                    return x;
                }
            }
        }
    }

    private boolean spinning() {
        return p.javaSpinNanos > 0 && spinOffFor == 0;
    }

    private void spinMissed() {
        if (++spinMisses >= SPIN_MISSES) {
            spinMisses = 0;
            spinOffFor = SPIN_PAUSE;
        }
    }

    /** Null while the guest thread exists; else the Exited event, kept for every later switch. */
    private GuestEvent.Exited checkAlive() {
        int pid = space.sp.pid();
        try {
            Sys.tgkill(pid, tid, 0);
            return null;
        } catch (LinuxException e) {
            if (e.errno() != Errno.ESRCH) {
                throw e;
            }
        }
        // An untraced thread leaves no wait status to read: tell from what is left how it ended.
        boolean processLives;
        try {
            Sys.kill(pid, 0);
            processLives = !java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat")).contains(") Z ");
        } catch (LinuxException | java.io.IOException e) {
            processLives = false;
        }
        exited = processLives
                ? new GuestEvent.Exited(Signals.SIGSYS, "guest thread " + tid + " of subprocess " + pid
                        + " was killed alone (SIGSYS: the subprocess filter kills a thread for a call it made from the stub page)")
                : new GuestEvent.Exited(Signals.SIGKILL, "guest thread " + tid + " of subprocess " + pid
                        + " was killed with its subprocess (SIGKILL from outside, or the subprocess was destroyed)");
        return exited;
    }

    /** Reads the event the handler published (docs/trap.md, section 4, step 4). */
    private GuestEvent decode() {
        int signo = (int) region.get(TrapRegion.SIGNO);
        int info = region.offsetOf(region.get(TrapRegion.SIGINFO), SIGINFO_SIZE);
        int uc = region.offsetOf(region.get(TrapRegion.UCONTEXT), UCONTEXT_READ);
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
        for (int i = 0; i < words.length; i++) {
            int off = frameOffsets[i];
            if (off >= 0) {
                words[i] = region.get(uc + off);
            }
        }
        synchronized (this) {
            fpOff = region.offsetOf(region.get(uc + p.trapArch.fpStatePointerOffset()), FXSAVE_LEGACY);
            fpLen = fpOff < 0 ? 0 : Math.max(0, Math.min(p.trapArch.fpStateLength(region.buf, fpOff), TrapRegion.SIZE - fpOff));
        }
        int code = region.buf.getInt(info + SI_CODE);
        long ip = words[p.layout.instructionPointerIndex()];
        if (signo == Signals.SIGSYS && code == SYS_SECCOMP) {
            long call = region.get(info + SI_ADDR);
            if (call != ip) {
                // not after a syscall instruction: the vsyscall page's emulation (gVisor's patchSignalInfo)
                int sig = p.guestArch.patchSignal(words, signo, call);
                if (sig != signo) {
                    return new GuestEvent.Fault(sig, SEGV_MAPERR, call, words[p.layout.instructionPointerIndex()], FaultAccess.EXECUTE);
                }
            }
            int nr = region.buf.getInt(info + SI_SYSCALL);
            words[p.layout.syscallNumberIndex()] = nr;
            GuestEvent.Syscall e = syscallEvent(nr);
            long[] a = e.args();
            for (int i = 0; i < 6; i++) {
                a[i] = words[p.layout.argumentIndex(i)];
            }
            return e;
        }
        if (isFault(signo) && code > 0) {
            if (signo == Signals.SIGSEGV && code == SI_KERNEL && isCpuid(ip)) {
                return new GuestEvent.CpuidFault(ip);
            }
            return new GuestEvent.Fault(signo, code, region.get(info + SI_ADDR), ip, p.trapArch.faultAccess(region.buf, uc, signo));
        }
        if (signo == Signals.SIGCHLD && code == SI_TKILL && region.buf.getInt(info + SI_ADDR) == Sys.getpid()) {
            if (interruptRequested) {
                interruptRequested = false;
                return INTERRUPTED;
            }
            return SPURIOUS;
        }
        byte[] si = new byte[SIGINFO_SIZE];
        region.buf.get(info, si);
        return new GuestEvent.Signal(signo, code, si);
    }

    private static boolean isFault(int signo) {
        return signo == Signals.SIGSEGV || signo == Signals.SIGBUS || signo == Signals.SIGILL || signo == Signals.SIGTRAP
                || signo == Signals.SIGFPE;
    }

    private boolean isCpuid(long ip) {
        byte[] want = p.guestArch.cpuidInstruction();
        if (want.length == 0) {
            return false;
        }
        byte[] got = new byte[want.length];
        try {
            space.sp.read(ip, got, 0, got.length);
        } catch (RuntimeException e) {
            return false;
        }
        return Arrays.equals(want, got);
    }

    private GuestEvent.Syscall syscallEvent(long nr) {
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
