package dev.tether.core;

import dev.tether.api.PlatformClosedException;
import dev.tether.api.PlatformFacts;
import dev.tether.api.Stub;
import dev.tether.api.StubPlatform;
import dev.tether.api.Subprocess;
import dev.tether.api.TetherException;
import dev.tether.api.UnsupportedKernelException;
import dev.tether.linux.LinuxException;
import dev.tether.linux.NativeMemory;
import dev.tether.seccomp.Action;
import dev.tether.seccomp.Policy;
import dev.tether.seccomp.SeccompContribution;
import dev.tether.seccomp.SyscallTable;
import dev.tether.spi.MachineCode;
import dev.tether.spi.RegisterLayout;
import dev.tether.spi.StubProgram;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * The platform, composed at runtime from one arch's services. Usable without OSGi (tests) and
 * wrapped by {@link StubPlatformComponent} as a DS service.
 *
 * <p>It wires the rooms that do the work ({@code docs/architecture.md}): the {@link StubImage}
 * (stub and trampoline code in the JVM), the {@link Tracers}, the {@link Spawner} (stubs made
 * from the JVM), the {@link StubFilters}, the {@link Forker} (the master and forks from it) and the
 * {@link SubprocessPool}, and keeps the list of stubs made from the JVM itself. Stubs and
 * subprocesses see only a {@link PlatformContext}.
 */
public final class StubPlatformImpl implements StubPlatform, AutoCloseable {

    private final RegisterLayout layout;
    private final SyscallTable table;
    private final StubImage image;
    private final Tracers tracers;
    private final Spawner spawner;
    private final StubFilters filters;
    private final Action defaultAction;
    private final PlatformFacts facts;
    private final PlatformContext context;
    private final Forker forker;
    private final SubprocessPool pool;

    private volatile PlatformListener listener = new PlatformListener() { };
    /** Guards {@link #live} and {@link #closed}; taken before the forker's and the pool's locks, never after. */
    private final Object lock = new Object();
    private final Set<StubImpl> live = new LinkedHashSet<>();
    private boolean closed;

    /** For tests: runs with a new child's pid between its clone and its attach (null: nothing). */
    volatile IntConsumer afterForkClone;

    public StubPlatformImpl(RegisterLayout layout, StubProgram program, SyscallTable table,
            SeccompContribution contribution, Settings settings) {
        this.layout = layout;
        this.table = table;
        String arch = layout.arch();
        if (!arch.equals(program.arch()) || !arch.equals(table.arch()) || !arch.equals(contribution.arch())) {
            throw new IllegalArgumentException("arch services disagree: register layout " + arch + ", stub program "
                    + program.arch() + ", syscall table " + table.arch() + ", seccomp contribution " + contribution.arch());
        }
        try {
            Host.preflight();
            this.image = StubImage.map(program, settings.stubAddress());
        } catch (LinuxException e) {
            throw NativeErrors.api(e);
        }
        try {
            this.tracers = new Tracers(arch, settings.tracerThreads());
        } catch (RuntimeException e) {
            image.close();
            throw NativeErrors.api(e);
        }
        SyscallRegs regs = new SyscallRegs(layout, image.roundTrip);
        this.spawner = new Spawner(regs, program, table, image, tracers, settings.cpuidFaulting());
        this.filters = new StubFilters(table, contribution, settings.failureMode(), image);
        boolean seccompAfterPtrace;
        try {
            seccompAfterPtrace = tracers.first().call(() -> spawner.probeSeccomp(filters.filter(Action.errno(0), null)));
        } catch (RuntimeException e) {
            tracers.close();
            image.close();
            filters.close();
            RuntimeException api = NativeErrors.api(e);
            throw api instanceof TetherException ? api : new UnsupportedKernelException("probeSeccomp failed: " + e.getMessage(), e);
        }
        // gVisor's createStub: with the modern ordering seccomp only sees injected syscalls, so the
        // stub's filter can kill on violation; otherwise it must allow everything but the arch's traps.
        this.defaultAction = seccompAfterPtrace ? Action.KILL_THREAD : Action.ALLOW;
        // (the component logs which seccomp behavior it found, in its "stub platform up" line)
        this.facts = new PlatformFacts(arch, Host.readOrEmpty(Path.of("/proc/sys/kernel/osrelease")).trim(),
                seccompAfterPtrace, defaultAction.toString(), spawner.cpuidFaulting(), image.stubAddress,
                image.stubLength, image.pageSize, settings.failureMode(), settings.tracerThreads());
        // Method references, not lambdas: the pool they lead to is created below.
        this.context = new PlatformContext(facts, table, image.taskSize, this::listener, this::forget,
                this::releaseSubprocess, this::destroySubprocess, this::reapDeadSubprocess);
        this.forker = new Forker(spawner, filters, tracers, regs, context, defaultAction, this::runAfterForkClone);
        this.pool = new SubprocessPool(forker, tracers, this::listener, arch, settings);
    }

    // ---------------------------------------------------------------- stubs from the JVM

    @Override
    public Stub createStub() {
        try {
            return create(filters.processCloneFlags(), defaultAction, null);
        } catch (LinuxException e) {
            throw NativeErrors.api(e);
        }
    }

    @Override
    public Stub attachedThread(long cloneFlags, Action action) {
        Spawner.checkCloneFlags(cloneFlags);
        try {
            return create(cloneFlags, action, null);
        } catch (LinuxException e) {
            throw NativeErrors.api(e);
        }
    }

    @Override
    public Stub attachedThread(long cloneFlags, Policy policy) {
        if (policy == null) {
            throw new IllegalArgumentException("policy is required");
        }
        Spawner.checkCloneFlags(cloneFlags);
        try {
            return create(cloneFlags, null, policy);
        } catch (LinuxException e) {
            throw NativeErrors.api(e);
        }
    }

    /** A stub made from the JVM on the next tracer thread, trimmed unless its own policy forbids it. */
    private Stub create(long cloneFlags, Action action, Policy custom) {
        Threads.refuseVirtual("StubPlatform.createStub");
        checkOpen();
        NativeMemory fprog = filters.filter(action, custom);
        TracerThread owner = tracers.pick();
        StubImpl stub;
        long t0 = System.nanoTime();
        boolean trim = custom == null || filters.allowsTrim(custom);
        try {
            stub = owner.call(() -> new StubImpl(context, spawner.createHostStub(cloneFlags, fprog, trim), cloneFlags));
            listener.stubCreated(stub.pid(), false, System.nanoTime() - t0);
        } catch (RuntimeException e) {
            listener.failed("create stub", e);
            throw e;
        } finally {
            if (custom != null) {
                fprog.close();
            }
        }
        synchronized (lock) {
            if (!closed) {
                live.add(stub);
                return stub;
            }
        }
        owner.call(() -> {
            stub.killNow();
            return null;
        });
        throw new PlatformClosedException("the platform was closed while the stub was being created");
    }

    @Override
    public List<Stub> stubs() {
        synchronized (lock) {
            return List.copyOf(live);
        }
    }

    private void forget(Stub s) {
        synchronized (lock) {
            live.remove(s);
        }
    }

    // ---------------------------------------------------------------- subprocesses

    @Override
    public Subprocess newSubprocess() {
        Threads.refuseVirtual("StubPlatform.newSubprocess");
        checkOpen();
        try {
            return pool.take();
        } catch (LinuxException e) {
            throw NativeErrors.api(e);
        }
    }

    @Override
    public SubprocessImpl forkSubprocess() {
        Threads.refuseVirtual("StubPlatform.forkSubprocess");
        checkOpen();
        try {
            return pool.fork();
        } catch (LinuxException e) {
            throw NativeErrors.api(e);
        }
    }

    @Override
    public List<Subprocess> subprocesses() {
        return pool.list();
    }

    /**
     * The pids of every live process this platform made (stubs from the JVM, subprocesses, the
     * master): what a fail-stop platform that cannot be torn down leaves behind.
     */
    List<Integer> processPids() {
        java.util.Set<Integer> pids = new java.util.TreeSet<>();
        for (Stub s : stubs()) {
            if (s.alive()) {
                pids.add(s.pid());
            }
        }
        for (Subprocess s : subprocesses()) {
            pids.add(s.pid());
        }
        SubprocessImpl m = forker.currentMaster();
        if (m != null) {
            pids.add(m.pid());
        }
        return new ArrayList<>(pids);
    }

    /** The OS thread ids of this platform's tracer threads. */
    List<Integer> tracerTids() {
        return tracers.tids();
    }

    /**
     * Applies a new pool size and pre-fork count to the running platform (config wiring: unlike
     * the other settings they change no existing stub). Pooled subprocesses beyond the new size
     * are destroyed, oldest first (contained mode; fail-stop ones cannot be, and stay pooled).
     */
    public void reconfigurePool(int poolSize, int prefork) {
        try {
            pool.reconfigure(poolSize, prefork);
        } catch (LinuxException e) {
            throw NativeErrors.api(e);
        }
    }

    // The context's callbacks: a subprocess hands itself back (as the API type, see PlatformContext).

    private void releaseSubprocess(Subprocess s) {
        pool.release((SubprocessImpl) s);
    }

    private void destroySubprocess(Subprocess s) {
        pool.destroy((SubprocessImpl) s);
    }

    private void reapDeadSubprocess(Subprocess s) {
        pool.reapDead((SubprocessImpl) s);
    }

    /** The master stub, created on first use (see {@link Forker#master}). */
    SubprocessImpl master() {
        return forker.master();
    }

    private void runAfterForkClone(int pid) {
        IntConsumer hook = afterForkClone;
        if (hook != null) {
            hook.accept(pid);
        }
    }

    // ---------------------------------------------------------------- queries

    /** Sets who observes this platform's work (null: nobody). */
    public void setListener(PlatformListener l) {
        this.listener = l != null ? l : new PlatformListener() { };
    }

    PlatformListener listener() {
        return listener;
    }

    @Override
    public PlatformFacts facts() {
        return facts;
    }

    @Override
    public int syscallNumber(String name) {
        return table.require(name);
    }

    /** The stub policy for the platform's failure mode (its process-clone rule names the mode's exit signal). */
    @Override
    public Policy stubPolicy(Action action) {
        return filters.stubPolicy(action);
    }

    /** CLONE_FILES | the failure mode's exit signal (docs/architecture.md, section 6). */
    long processCloneFlags() {
        return filters.processCloneFlags();
    }

    /** The end of this kernel's user address space (probed: TASK_SIZE, at most the arch's maximum). */
    long maximumUserAddress() {
        return image.taskSize;
    }

    /** The stub's machine code, for diagnostics. */
    public MachineCode stubCode() {
        return image.stubCode();
    }

    private void checkOpen() {
        synchronized (lock) {
            if (closed) {
                throw new PlatformClosedException("the " + layout.arch() + " stub platform is closed");
            }
        }
    }

    // ---------------------------------------------------------------- teardown

    /**
     * Kills and reaps every stub, then stops the tracer threads and unmaps the code. In
     * fail-stop mode, with stubs alive whose death would SIGKILL the JVM, refuses instead.
     */
    @Override
    public void close() {
        try {
            closeAll();
        } catch (LinuxException e) {
            throw NativeErrors.api(e);
        }
    }

    private void closeAll() {
        List<StubImpl> victims;
        synchronized (lock) {
            if (closed) {
                return;
            }
            victims = new ArrayList<>(live);
            if (victims.stream().anyMatch(s -> s.killsParent() && s.alive())) {
                throw new TetherException("fail-stop mode: " + victims.size() + " stub(s) were cloned with exit signal"
                        + " SIGKILL, so tearing them down would kill the JVM; they end when the JVM does."
                        + " Stop the JVM, or use contained mode to make stubs closable");
            }
            forker.close(); // refuses in fail-stop mode once there is a master; then nothing is closed
            pool.stop();
            closed = true;
            live.clear();
        }
        pool.close(); // destroys every subprocess, reaping each through the master
        forker.killMaster();
        for (StubImpl s : victims) {
            try {
                s.tracee.owner.call(() -> {
                    s.killNow();
                    return null;
                });
            } catch (RuntimeException e) {
                CoreLog.warn(StubPlatformImpl.class, "could not tear down " + s, e);
            }
        }
        tracers.close();
        image.close();
        filters.close();
    }
}
