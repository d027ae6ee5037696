package dev.tether.trap;

import dev.tether.abi.Mman;
import dev.tether.abi.Signals;
import dev.tether.api.PlatformClosedException;
import dev.tether.api.Subprocess;
import dev.tether.api.SyscallFailedException;
import dev.tether.spi.MachineCode;
import dev.tether.spi.TrapRegion;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One trap address space's subprocess and the platform's pages in it (docs/trap.md, section 2): the
 * whole range below the stub page reserved (PROT_NONE) so that the kernel never places a guest mapping
 * there, the code page and the handler's dispositions set up on the first switch, a region slot per
 * context, and whether the space is closed. The address space and each of its contexts share it.
 */
final class SpacePages {
    /** Contexts per address space: the regions below the code page (docs/trap.md, section 2). */
    static final int MAX_CONTEXTS = 256;
    /** Where the handler's struct sigaction sits in the code page (after the code, which is far shorter). */
    static final int SIGACTION_OFFSET = 0x800;
    /**
     * sa_flags: SA_SIGINFO (4, include/uapi/asm-generic/signal-defs.h), SA_ONSTACK (0x08000000,
     * the same), SA_RESTORER (0x04000000, arch/x86/include/uapi/asm/signal.h and arm64's).
     */
    static final long SA_FLAGS = 0x4L | 0x08000000L | 0x04000000L;
    /** The signals the handler takes (docs/trap.md, section 5); SIGCHLD is the interrupt. */
    static final int[] HANDLED = {Signals.SIGSYS, Signals.SIGSEGV, Signals.SIGBUS, Signals.SIGILL, Signals.SIGTRAP,
            Signals.SIGFPE, Signals.SIGCHLD};

    final TrapServices p;
    final Subprocess sp;
    /** The stub page, the code page, the top of the regions, the guest's limit (docs/trap.md, section 2). */
    final long stub;
    final long code;
    final long top;
    final long low;
    /** The initial general registers of a context: the stub thread's, IP and SP zero. */
    final long[] initWords;
    private final boolean[] slots = new boolean[MAX_CONTEXTS];
    private boolean handlerReady;
    volatile boolean closed;
    /** Closed because the platform was (bundle stopped): running switches throw instead of returning Interrupted. */
    volatile boolean closedByPlatform;

    SpacePages(TrapServices p, Subprocess sp, long stub) {
        this.p = p;
        this.sp = sp;
        this.stub = stub;
        this.code = codeAddress(stub);
        this.top = regionsTop(stub);
        this.low = limit(stub);
        // reserve [low, stub): only the platform's MAP_FIXED mappings go there
        sp.mapAnonymous(low, stub - low, Mman.PROT_NONE);
        long[] w = sp.registers().words();
        w[p.layout.instructionPointerIndex()] = 0;
        w[p.layout.stackPointerIndex()] = 0;
        if (p.guestArch.tlsRegisterIndex() >= 0) {
            w[p.guestArch.tlsRegisterIndex()] = 0;
        }
        this.initWords = w;
    }

    /** The code page: one region size below the stub page (docs/trap.md, section 2). */
    static long codeAddress(long stubAddress) {
        return stubAddress - TrapRegion.SIZE;
    }

    static long regionsTop(long stubAddress) {
        return codeAddress(stubAddress) & -TrapRegion.SIZE;
    }

    static long limit(long stubAddress) {
        return regionsTop(stubAddress) - (long) MAX_CONTEXTS * TrapRegion.SIZE;
    }

    void checkOpen() {
        if (closed) {
            throw new PlatformClosedException("trap guest address space " + sp.pid() + " is closed"
                    + (closedByPlatform ? ": the trap platform was stopped" : ""));
        }
    }

    /** Marks the space closed; false if it was already. */
    synchronized boolean markClosed(boolean byPlatform) {
        if (closed) {
            return false;
        }
        closedByPlatform = byPlatform;
        closed = true;
        return true;
    }

    /**
     * The code page and the dispositions, once (docs/trap.md, section 5): the page is written while
     * writable, then made read + execute; the struct sigaction ({@code handler, flags, restorer, mask},
     * the kernel's layout for rt_sigaction on amd64 and arm64) is read from it by each rt_sigaction.
     */
    synchronized void ensureHandler() {
        if (handlerReady) {
            return;
        }
        MachineCode h = p.trapArch.handler();
        long page = TrapRegion.SIZE; // the code page's slot; the kernel's page size divides it
        sp.mapAnonymous(code, page, Mman.PROT_READ | Mman.PROT_WRITE);
        byte[] c = h.code();
        sp.write(code, c, 0, c.length);
        ByteBuffer act = ByteBuffer.allocate(32).order(ByteOrder.nativeOrder());
        act.putLong(code + h.entryOffset()).putLong(SA_FLAGS).putLong(code + h.syscallOffset()).putLong(-1L);
        sp.write(code + SIGACTION_OFFSET, act.array(), 0, 32);
        sp.protect(code, page, Mman.PROT_READ | Mman.PROT_EXEC);
        for (int sig : HANDLED) {
            // rt_sigaction(sig, act, NULL, sizeof(sigset_t) = 8): rt_sigaction(2)
            long r = sp.syscall(p.rtSigactionNr, sig, code + SIGACTION_OFFSET, 0, 8);
            if (r != 0) {
                throw new SyscallFailedException("rt_sigaction(" + Signals.name(sig) + ") in trap subprocess " + sp.pid(), (int) -r);
            }
        }
        handlerReady = true;
    }

    synchronized int takeSlot() {
        for (int i = 0; i < slots.length; i++) {
            if (!slots[i]) {
                slots[i] = true;
                return i;
            }
        }
        throw new IllegalStateException("trap address space " + sp.pid() + " has " + slots.length
                + " contexts running already (the platform's MAX_CONTEXTS)");
    }

    synchronized void freeSlot(int i) {
        slots[i] = false;
    }

    long regionAddress(int slot) {
        return top - (long) (slot + 1) * TrapRegion.SIZE;
    }
}
