package dev.tether.core;

import dev.tether.abi.Ptrace;
import dev.tether.api.Registers;
import dev.tether.api.StubDiedException;
import dev.tether.api.Subprocess;
import dev.tether.guest.spi.DetachableThread;
import dev.tether.guest.spi.StubThreads;
import dev.tether.linux.LinuxException;
import dev.tether.linux.NativeMemory;
import dev.tether.linux.Sys;
import org.osgi.service.component.annotations.Component;

/**
 * Stub threads that leave ptrace, for the trap guest platform (docs/trap.md, section 5): made as a
 * caller's own stub thread ({@link SubprocessImpl#newDetachableThread}), set up by injections, then
 * detached with the guest's registers (gVisor's systrap makes its {@code sysmsgThread}s the same way,
 * {@code pkg/sentry/platform/systrap/sysmsg_thread.go}). Stateless: it works on core's subprocesses.
 */
@Component(service = StubThreads.class)
public final class StubThreadsImpl implements StubThreads {

    @Override
    public DetachableThread newThread(Subprocess subprocess) {
        Threads.refuseVirtual("StubThreads.newThread");
        if (!(subprocess instanceof SubprocessImpl)) {
            throw new IllegalArgumentException("not a subprocess of the core bundle's platform: " + subprocess.getClass().getName());
        }
        SubprocessImpl sp = (SubprocessImpl) subprocess;
        try {
            return new Detachable(sp, sp.newDetachableThread(Thread.currentThread()));
        } catch (LinuxException e) {
            throw NativeErrors.api(e);
        }
    }

    @Override
    public void hostUntracedThreads(Subprocess subprocess) {
        if (!(subprocess instanceof SubprocessImpl)) {
            throw new IllegalArgumentException("not a subprocess of the core bundle's platform: " + subprocess.getClass().getName());
        }
        ((SubprocessImpl) subprocess).runsUntracedThreads();
    }

    /** The ptrace switch's binding ({@code Sysemu}: CallerPin.enterHere, kept by the platform's PinReleaser), for another guest platform. */
    @Override
    public int enterSwitch(Subprocess subprocess) {
        CallerPin pin = TracerThread.callerPin();
        return pin == null ? -1 : pin.enterHere(core(subprocess).owner.releaser());
    }

    @Override
    public void exitSwitch(Subprocess subprocess, int cpu) {
        if (cpu >= 0) {
            TracerThread.callerPin().exit(false, core(subprocess).owner.releaser());
        }
    }

    private static SubprocessImpl core(Subprocess subprocess) {
        if (!(subprocess instanceof SubprocessImpl)) {
            throw new IllegalArgumentException("not a subprocess of the core bundle's platform: " + subprocess.getClass().getName());
        }
        return (SubprocessImpl) subprocess;
    }

    private static final class Detachable implements DetachableThread {
        private final SubprocessImpl sp;
        private final Tracee t;
        private boolean detached;

        Detachable(SubprocessImpl sp, Tracee t) {
            this.sp = sp;
            this.t = t;
        }

        @Override
        public int tid() {
            return t.tid;
        }

        @Override
        public long syscall(long sysno, long... args) {
            checkAttached();
            SyscallRegs.checkArgs(args);
            try {
                return t.inject(sysno, args);
            } catch (StubDiedException e) {
                StubDiedException d = StubDeath.during(e, "a set-up call (" + sysno + ") of stub thread " + t.tid);
                sp.died(d);
                throw d;
            } catch (LinuxException e) {
                throw NativeErrors.api(e);
            }
        }

        @Override
        public void detach(long[] registers, int fpRegset, byte[] fpState) {
            checkAttached();
            try {
                Registers init = t.initRegs();
                t.setRegs(new Registers(init.arch(), init.names(), registers.clone()));
                if (fpState != null) {
                    try (NativeMemory buf = NativeMemory.allocate(fpState.length)) {
                        buf.write(0, fpState, 0, fpState.length);
                        Sys.setRegset(t.tid, fpRegset, buf, fpState.length);
                    }
                }
                // Tracee.bindHere pinned it to the caller's CPU for the attach; a free-running guest
                // thread gets the JVM's own mask back, so that it can run beside its Java thread.
                try {
                    Sys.setAffinity(t.tid, Sys.getAffinity(Sys.getpid()));
                } catch (LinuxException e) {
                    // a cpuset that refuses it only costs speed
                }
                // ptrace(2), PTRACE_DETACH: "Restart the stopped tracee as for PTRACE_CONT, but first detach from it"; data 0: no signal.
                Sys.ptrace(Ptrace.PTRACE_DETACH, t.tid, 0, 0);
                detached = true;
                sp.forget(t);
            } catch (LinuxException e) {
                throw NativeErrors.guestState(e);
            }
        }

        private void checkAttached() {
            if (detached) {
                throw new IllegalStateException("stub thread " + t.tid + " was detached: it is no longer traced");
            }
            t.assertTracer();
        }
    }
}
