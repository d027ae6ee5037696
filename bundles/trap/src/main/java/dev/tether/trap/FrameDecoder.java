package dev.tether.trap;

import dev.tether.abi.Signals;
import dev.tether.api.Subprocess;
import dev.tether.guest.FaultAccess;
import dev.tether.guest.GuestEvent;
import dev.tether.guest.spi.SyscallEvents;
import dev.tether.linux.Sys;
import java.util.Arrays;

/**
 * What a trap event is (docs/trap.md, section 4, the event table): the handler's signal number and
 * the siginfo in the region, with the registers the context already copied out of the frame,
 * become a {@link GuestEvent}. One per context: it keeps one Syscall event per number, refilled at each
 * call, so that a round trip allocates nothing (the guest API's javadoc says so).
 */
final class FrameDecoder {
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
    /** A SIGCHLD this JVM sent with tgkill: an interrupt, or a late one (the context decides which). */
    static final GuestEvent OUR_INTERRUPT = new GuestEvent.Interrupted();

    private final TrapServices p;
    private final Subprocess sp;
    private final SyscallEvents syscallEvents = new SyscallEvents();

    FrameDecoder(TrapServices p, Subprocess sp) {
        this.p = p;
        this.sp = sp;
    }

    /**
     * The event of signal {@code signo} with its siginfo at {@code info} and ucontext at {@code uc} in
     * {@code region} (both checked to lie inside it); {@code words} are the frame's registers, and a
     * system call's number is written into them.
     */
    GuestEvent classify(Region region, int signo, int info, int uc, long[] words) {
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
            GuestEvent.Syscall e = syscallEvents.of(nr);
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
            return OUR_INTERRUPT;
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
            sp.read(ip, got, 0, got.length);
        } catch (RuntimeException e) {
            return false;
        }
        return Arrays.equals(want, got);
    }
}
