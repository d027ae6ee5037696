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
    public long syscall(long sysno, long... args) {
        Threads.refuseVirtual("Stub.syscall");
        SyscallRegs.checkArgs(args);
        long[] a = args.clone();
        long t0 = System.nanoTime();
        try {
            long r = tracee.owner.call(() -> {
                checkUsable();
                return tracee.inject(sysno, a);
            });
            context.listener().injected(pid(), tid(), sysno, r, System.nanoTime() - t0);
            return r;
        } catch (StubDiedException e) {
            StubDiedException d = StubDeath.during(e, context.describeSyscall(sysno));
            reapDead();
            context.forget().accept(this);
            context.listener().stubDied(pid(), tid(), d.getMessage());
            throw d;
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

    @Override
    public long syscall(String name, long... args) {
        return syscall(context.syscallNumber(name), args);
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
