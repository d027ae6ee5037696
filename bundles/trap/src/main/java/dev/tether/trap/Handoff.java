package dev.tether.trap;

import dev.tether.abi.Errno;
import dev.tether.linux.SharedMemory;
import dev.tether.spi.TrapRegion;
import java.util.concurrent.TimeUnit;

/**
 * Java's half of the hand-off on a region's STATE word (docs/trap.md, section 8): publish RESUME and wake
 * the handler only if it sleeps; wait for EVENT by spinning for the platform's budget while spinning pays
 * ({@link AdaptiveSpin}), then on the futex. What an event or a timeout means is the context's business.
 */
final class Handoff {
    /** How long Java sleeps at most before its context checks that the guest thread still exists. */
    static final long WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    /** {@link #await}/{@link #sleep}: the handler published an event. */
    static final int EVENT = 0;
    /** The futex wait timed out: time for a liveness check. */
    static final int TIMED_OUT = 1;
    /** Woken (or not put to sleep) without an event: a close, an interrupt, a spurious wake-up. */
    static final int WOKEN = 2;

    private final long futexNr;
    private final long javaSpinNanos;
    private final long handlerSpins;
    /** Whether to spin now (turned off for a while after spins in a row ran out). */
    private final AdaptiveSpin spin;
    /** Whether the SPIN word last written lets the handler spin (mapRegion writes the platform's budget). */
    private boolean handlerSpinning;

    Handoff(TrapServices p) {
        this.futexNr = p.futexNr;
        this.javaSpinNanos = p.javaSpinNanos;
        this.handlerSpins = p.handlerSpins;
        this.spin = new AdaptiveSpin(javaSpinNanos > 0);
        this.handlerSpinning = handlerSpins > 0;
    }

    /** Whether the two sides spin now (the guest thread's placement follows it). */
    boolean spinning() {
        return spin.on();
    }

    /** Lets the handler return into the guest: Java's state is in the frame already. */
    void resume(Region region) {
        // The handler read SPIN when it published this event: what the previous resume wrote
        boolean handlerSpun = handlerSpinning;
        handlerSpinning = spin.on();
        region.put(TrapRegion.SPIN, handlerSpinning ? handlerSpins : 0);
        region.setVolatile(TrapRegion.STATE, TrapRegion.RESUME);
        if (region.getVolatile(TrapRegion.GUEST_SLEEPING) != 0) {
            SharedMemory.futexWake(futexNr, region.jvmAddress + TrapRegion.STATE, 1);
            if (handlerSpun) {
                spin.missed(); // the handler's spin ran out before Java answered
            }
        }
    }

    /** Waits for the handler's next event: spins first if spinning pays, then sleeps once ({@link #sleep}). */
    int await(Region region, SpacePages space) {
        long budget = spin.roundTrip() ? javaSpinNanos : 0;
        if (budget > 0) {
            long t0 = System.nanoTime();
            int polls = 0;
            while (true) {
                if (region.getAcquire(TrapRegion.STATE) == TrapRegion.EVENT) {
                    spin.hit();
                    return EVENT;
                }
                // the clock every 16 polls: read at each, it was a quarter of a spinning switch's profile
                if ((++polls & 15) != 0 || System.nanoTime() - t0 < budget) {
                    Thread.onSpinWait();
                    continue;
                }
                spin.missed();
                break;
            }
        } else if (region.getAcquire(TrapRegion.STATE) == TrapRegion.EVENT) {
            return EVENT;
        }
        return sleep(region, space);
    }

    /** One futex sleep on STATE, bounded by {@link #WAIT_NANOS}, not begun once the space is closed. */
    int sleep(Region region, SpacePages space) {
        region.setVolatile(TrapRegion.JAVA_SLEEPING, 1);
        long s = region.getVolatile(TrapRegion.STATE);
        long r = 0;
        if (s != TrapRegion.EVENT && !space.closed) {
            r = SharedMemory.futexWait(futexNr, region.jvmAddress + TrapRegion.STATE, (int) s, WAIT_NANOS);
        }
        region.setVolatile(TrapRegion.JAVA_SLEEPING, 0);
        if (region.getAcquire(TrapRegion.STATE) == TrapRegion.EVENT) {
            return EVENT;
        }
        return r == -Errno.ETIMEDOUT ? TIMED_OUT : WOKEN;
    }
}
