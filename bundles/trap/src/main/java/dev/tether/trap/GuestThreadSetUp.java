package dev.tether.trap;

import dev.tether.abi.Mman;
import dev.tether.api.SyscallFailedException;
import dev.tether.guest.spi.DetachableThread;
import dev.tether.spi.TrapRegion;

/**
 * Setting up one guest thread of the trap platform (docs/trap.md, section 5): its region (a memfd
 * mapped in the JVM and at its place in the subprocess), then a new stub thread into which the
 * alternate signal stack and the thread's own TRAP filter are injected. Detaching it with the
 * context's registers is the caller's.
 */
final class GuestThreadSetUp {
    private GuestThreadSetUp() {
    }

    /** The region at {@code remote}, mapped in both processes; nothing is left mapped if it fails. */
    static Region mapRegion(TrapServices p, SpacePages space, long remote) {
        Region region = Region.create(p.ftruncateNr, remote);
        try {
            space.sp.mapFile(remote, TrapRegion.SIZE, Mman.PROT_READ | Mman.PROT_WRITE, region.fd(), 0);
            region.closeFd();
        } catch (RuntimeException e) {
            region.unmap();
            throw e;
        }
        region.put(TrapRegion.SPIN, p.handlerSpins);
        return region;
    }

    /** A new stub thread of the subprocess, still traced, with its alternate stack and its filter installed. */
    static DetachableThread newThread(TrapServices p, SpacePages space, Region region, long remote) {
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
        checkSetUp(space, "sigaltstack", t.syscall(p.sigaltstackNr, remote + ss, 0));
        // SECCOMP_SET_MODE_FILTER = 1, no flags (include/uapi/linux/seccomp.h): this thread only
        checkSetUp(space, "seccomp", t.syscall(p.seccompNr, 1, 0, remote + fprog));
        return t;
    }

    private static void checkSetUp(SpacePages space, String call, long r) {
        if (r != 0) {
            throw new SyscallFailedException(call + " in a new trap guest thread of subprocess " + space.sp.pid(), (int) -r);
        }
    }
}
