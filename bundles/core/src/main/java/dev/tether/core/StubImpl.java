package dev.tether.core;

import dev.tether.abi.Clone;
import dev.tether.abi.Signals;
import dev.tether.api.PlatformClosedException;
import dev.tether.api.Registers;
import dev.tether.api.Stub;
import dev.tether.api.StubDiedException;
import dev.tether.api.TetherException;
import dev.tether.linux.LinuxException;

/** A stub process created from the JVM: a {@link Tracee} plus what it needs of its platform. */
final class StubImpl implements Stub {
    private final PlatformContext context;
    final Tracee tracee;
    final long cloneFlags;
    private volatile boolean closed;

    StubImpl(PlatformContext context, Tracee tracee, long cloneFlags) {
        this.context = context;
        this.tracee = tracee;
        this.cloneFlags = cloneFlags;
    }

    @Override
    public int pid() {
        return tracee.tgid;
    }

    @Override
    public int tid() {
        return tracee.tid;
    }

    @Override
    public Registers initialRegisters() {
        return tracee.initRegs();
    }

    @Override
    public long inject(long sysno, long... args) {
        Threads.refuseVirtual("Stub.inject");
        if (args.length > 6) {
            throw new IllegalArgumentException("a syscall takes at most 6 arguments, got " + args.length);
        }
        String during = context.describeSyscall(sysno);
        long[] a = args.clone();
        long t0 = System.nanoTime();
        try {
            long r = tracee.owner.call(() -> {
                checkUsable();
                return tracee.inject(sysno, a, during);
            });
            context.listener().injected(pid(), tid(), sysno, r, System.nanoTime() - t0);
            return r;
        } catch (StubDiedException e) {
            reapDead();
            context.forget().accept(this);
            context.listener().stubDied(pid(), tid(), e.getMessage());
            throw e;
        } catch (LinuxException e) {
            throw NativeErrors.api(e);
        }
    }

    /**
     * The stub died: collect what is left of it now (its zombie, or threads an injected clone
     * added), not at platform close. Errors are logged: the death is what the caller hears of.
     */
    private void reapDead() {
        try {
            tracee.owner.call(() -> {
                tracee.kill();
                return null;
            });
        } catch (RuntimeException k) {
            context.listener().failed("reaping dead stub " + pid(), k);
        }
    }

    /**
     * An injection whose registers are adjusted after the syscall set-up, e.g. with the arch's
     * initChildProcessPPID for a clone that re-runs the stub's bootstrap in the child (spec §5.3).
     */
    long injectAdjusted(java.util.function.UnaryOperator<Registers> adjust, long sysno, long... args) {
        Threads.refuseVirtual("Stub.inject");
        String during = context.describeSyscall(sysno);
        long[] a = args.clone();
        try {
            return tracee.owner.call(() -> {
                checkUsable();
                return tracee.injectAdjusted(adjust, sysno, a, during);
            });
        } catch (StubDiedException e) {
            reapDead();
            context.forget().accept(this);
            throw e;
        }
    }

    @Override
    public long inject(String syscall, long... args) {
        return inject(context.syscallNumber(syscall), args);
    }

    @Override
    public Registers registers() {
        Threads.refuseVirtual("Stub.registers");
        try {
            return tracee.owner.call(() -> {
                checkUsable();
                return tracee.getRegs();
            });
        } catch (LinuxException e) {
            throw NativeErrors.api(e);
        }
    }

    private void checkUsable() {
        if (closed) {
            throw new PlatformClosedException("stub " + pid() + " was closed");
        }
        if (!tracee.alive()) {
            throw new StubDiedException("stub " + pid() + " is dead: " + tracee.death(), pid(), tid(), tracee.deathStatus());
        }
    }

    @Override
    public boolean alive() {
        return !closed && tracee.alive();
    }

    @Override
    public String death() {
        if (tracee.alive()) {
            return closed ? "closed" : null;
        }
        return tracee.death();
    }

    /** Whether killing this stub would signal its parent (the JVM) with SIGKILL (fail-stop stubs). */
    boolean killsParent() {
        return (cloneFlags & Clone.CSIGNAL) == Signals.SIGKILL;
    }

    @Override
    public void close() {
        Threads.refuseVirtual("Stub.close");
        if (closed) {
            return;
        }
        if (!tracee.alive()) {
            reapDead(); // usually done when the death was seen; then nothing is left to do
            context.forget().accept(this); // it keeps reporting its death
            return;
        }
        if (killsParent()) {
            throw new TetherException("stub " + pid() + " was cloned with exit signal SIGKILL (fail-stop mode):"
                    + " killing it would kill its parent, the JVM; it ends when the JVM does");
        }
        closed = true;
        try {
            tracee.owner.call(() -> {
                tracee.kill();
                return null;
            });
        } catch (LinuxException e) {
            throw NativeErrors.api(e);
        } finally {
            context.forget().accept(this);
        }
    }

    /** Kill without the fail-stop check, on the owner thread (platform teardown). */
    void killNow() {
        closed = true;
        tracee.kill();
    }

    @Override
    public String toString() {
        return "stub " + pid() + (alive() ? " (alive)" : " (" + death() + ")");
    }
}
