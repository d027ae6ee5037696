package dev.tether.core;

import dev.tether.abi.Clone;
import dev.tether.abi.Errno;
import dev.tether.abi.Mman;
import dev.tether.abi.Prctl;
import dev.tether.abi.Ptrace;
import dev.tether.abi.Signals;
import dev.tether.abi.Wait;
import dev.tether.api.FailureMode;
import dev.tether.api.PlatformClosedException;
import dev.tether.api.PlatformFacts;
import dev.tether.api.Registers;
import dev.tether.api.Stub;
import dev.tether.api.StubPlatform;
import dev.tether.api.TetherException;
import dev.tether.api.UnsupportedKernelException;
import dev.tether.bpf.Program;
import dev.tether.linux.LinuxException;
import dev.tether.linux.NativeMemory;
import dev.tether.linux.Sys;
import dev.tether.seccomp.Action;
import dev.tether.seccomp.Policy;
import dev.tether.seccomp.SeccompCompiler;
import dev.tether.seccomp.SeccompContribution;
import dev.tether.seccomp.StubPolicy;
import dev.tether.seccomp.SyscallTable;
import dev.tether.spi.MachineCode;
import dev.tether.spi.RegisterLayout;
import dev.tether.spi.StubProgram;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The platform, composed at runtime from one arch's services. Usable without OSGi (tests) and
 * wrapped by {@link StubPlatformComponent} as a DS service.
 */
public final class StubPlatformImpl implements StubPlatform, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(StubPlatformImpl.class.getName());
    /**
     * The length glibc registers its rseq area with: sizeof(struct rseq_area) = 32 for glibc
     * 2.35+ (sysdeps/unix/sysv/linux/rseq-internal.h); unregistering needs the same length.
     */
    private static final int RSEQ_MIN_LEN = 32;

    private final RegisterLayout layout;
    private final StubProgram program;
    private final SyscallTable table;
    private final SeccompContribution contribution;
    /** Volatile: the pool size and pre-fork count change live ({@link #reconfigurePool}); the rest never does. */
    private volatile Settings settings;
    private final long pageSize;
    /** Where this kernel's user address space ends (TASK_SIZE), at most the arch's maximum. */
    private final long taskSize;
    private final long stubAddress;
    private final long stubLength;
    private final long trampolineAddress;
    private final long trampolineLength;
    private final List<TracerThread> tracers = new ArrayList<>();
    /** Gives callers' CPU bindings back after their hand-offs to the tracers (CallerPin). */
    private final PinReleaser pinReleaser;
    private final AtomicInteger nextTracer = new AtomicInteger();
    private final long rseqOffset;
    private final long rseqLength;
    private final boolean cpuidFaulting;
    private final boolean seccompAfterPtrace;
    private final Action defaultAction;
    private final PlatformFacts facts;

    private volatile PlatformListener listener = new PlatformListener() { };
    private final Object lock = new Object();
    private final Set<StubImpl> live = new LinkedHashSet<>();
    /** Subprocesses handed out or pooled (not the master); guarded by lock. */
    private final Set<SubprocessImpl> subprocesses = new LinkedHashSet<>();
    /** Released, unmapped subprocesses ready for reuse (LIFO, spec §5.5). */
    private final java.util.concurrent.ConcurrentLinkedDeque<SubprocessImpl> pool = new java.util.concurrent.ConcurrentLinkedDeque<>();
    private volatile SubprocessImpl master;
    private Thread preforker;
    private final Map<String, NativeMemory> filters = new HashMap<>();
    private boolean closed;

    public StubPlatformImpl(RegisterLayout layout, StubProgram program, SyscallTable table,
            SeccompContribution contribution, Settings settings) {
        this.layout = layout;
        this.program = program;
        this.table = table;
        this.contribution = contribution;
        this.settings = settings;
        String arch = layout.arch();
        if (!arch.equals(program.arch()) || !arch.equals(table.arch()) || !arch.equals(contribution.arch())) {
            throw new IllegalArgumentException("arch services disagree: register layout " + arch + ", stub program "
                    + program.arch() + ", syscall table " + table.arch() + ", seccomp contribution " + contribution.arch());
        }
        preflight();
        this.pageSize = Sys.pageSize();
        this.cpuidFaulting = program.cpuidFaulting(readOrEmpty(Path.of("/proc/cpuinfo")));
        long[] rseq = rseqInfo();
        this.rseqOffset = rseq[0];
        this.rseqLength = rseq[1];

        this.taskSize = StubPlacement.probeTaskSize(program.maximumUserAddress(), pageSize);
        MachineCode stub = program.stub();
        this.stubLength = roundUp(stub.length(), pageSize);
        MachineCode tramp = program.trampoline();
        this.trampolineLength = roundUp(tramp.length(), pageSize);
        long stubAt = 0;
        long trampAt = 0;
        this.pinReleaser = new PinReleaser("tether-unpin-" + arch);
        try {
            stubAt = placeStub(stub);
            trampAt = mapCode(tramp.code(), 0, trampolineLength);
            for (int i = 0; i < settings.tracerThreads(); i++) {
                tracers.add(new TracerThread("tether-tracer-" + arch + "-" + i, pinReleaser));
            }
        } catch (RuntimeException e) {
            unmapQuietly(stubAt, stubLength);
            unmapQuietly(trampAt, trampolineLength);
            tracers.forEach(TracerThread::stop);
            pinReleaser.close();
            throw e;
        }
        this.stubAddress = stubAt;
        this.trampolineAddress = trampAt;
        try {
            this.seccompAfterPtrace = tracers.get(0).call(this::probeSeccomp);
        } catch (RuntimeException e) {
            close();
            throw e instanceof TetherException ? e : new UnsupportedKernelException("probeSeccomp failed: " + e.getMessage(), e);
        }
        // spec §2.1: with the modern ordering seccomp only sees injected syscalls, so the stub's
        // filter can kill on violation; otherwise it must allow everything but the arch's traps.
        this.defaultAction = seccompAfterPtrace ? Action.KILL_THREAD : Action.ALLOW;
        LOG.log(Level.INFO, seccompAfterPtrace ? "Latest seccomp behavior found (kernel >= 4.8 likely)"
                : "Legacy seccomp behavior found (kernel < 4.8 likely)");
        this.facts = new PlatformFacts(arch, readOrEmpty(Path.of("/proc/sys/kernel/osrelease")).trim(),
                seccompAfterPtrace, defaultAction.toString(), cpuidFaulting, stubAddress, stubLength, pageSize,
                settings.failureMode(), settings.tracerThreads());
    }

    // ---------------------------------------------------------------- setup

    /** DESIGN rule 7: an unsupported kernel gets a clear error before anything is created. */
    private static void preflight() {
        String scope = readOrEmpty(Path.of("/proc/sys/kernel/yama/ptrace_scope")).trim();
        if (scope.equals("3")) {
            throw new UnsupportedKernelException("ptrace is disabled on this host: /proc/sys/kernel/yama/ptrace_scope"
                    + " is 3 (no attach at all, until reboot); Tether needs ptrace", null);
        }
        try {
            // PR_GET_SECCOMP fails with EINVAL when the kernel has no CONFIG_SECCOMP.
            Sys.prctl(Prctl.PR_GET_SECCOMP, 0, 0, 0, 0);
        } catch (LinuxException e) {
            throw new UnsupportedKernelException("seccomp is not available in this kernel (prctl(PR_GET_SECCOMP): "
                    + e.errnoName() + "); Tether needs seccomp filters", e);
        }
    }

    /** glibc's rseq registration of the calling thread: {offset from the thread pointer, length}. */
    private static long[] rseqInfo() {
        OptionalLong off = Sys.libcSymbol("__rseq_offset");
        OptionalLong size = Sys.libcSymbol("__rseq_size");
        if (off.isEmpty() || size.isEmpty()) {
            return new long[] {0, 0}; // glibc < 2.35 registers no rseq area
        }
        int registered = Sys.peekInt(size.getAsLong());
        if (registered == 0) {
            return new long[] {0, 0}; // registration disabled (glibc.pthread.rseq=0) or refused
        }
        return new long[] {Sys.peekLong(off.getAsLong()), Math.max(RSEQ_MIN_LEN, registered)};
    }

    /**
     * stubInit (gVisor's stub_unsafe.go): map the stub as high as the address space allows,
     * never over anything the JVM has mapped ({@link StubPlacement}); RX once filled.
     */
    private long placeStub(MachineCode stub) {
        if (settings.stubAddress() != 0) {
            return placeStubAt(settings.stubAddress(), stub);
        }
        long start = program.stubPlacementStart(pageSize);
        long got = StubPlacement.mapHighest(start, taskSize, stubLength, pageSize);
        if (got < 0) {
            throw new UnsupportedKernelException(String.format("could not map the stub at or below 0x%x"
                    + " (address space ends at 0x%x)", start, taskSize), null);
        }
        Sys.pokeBytes(got, stub.code());
        Sys.mprotect(got, stubLength, Mman.PROT_READ | Mman.PROT_EXEC);
        return got;
    }

    /**
     * The stub at the configured address ({@link Settings#stubAddress()}) and nowhere else: a hint
     * mapping (never MAP_FIXED, which would replace whatever the JVM has there) that the kernel must
     * honour exactly; otherwise a clear error and nothing is left mapped.
     */
    private long placeStubAt(long at, MachineCode stub) {
        if (at % pageSize != 0 || at + stubLength > taskSize) {
            throw new IllegalArgumentException(String.format("stub address 0x%x must be page-aligned (page size %d)"
                    + " and leave room for the %d-byte stub below the end of this kernel's %s user address space 0x%x",
                    at, pageSize, stubLength, program.arch(), taskSize));
        }
        long got;
        try {
            got = Sys.mmap(at, stubLength, Mman.PROT_READ | Mman.PROT_WRITE, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS, -1, 0);
        } catch (LinuxException e) {
            throw new UnsupportedKernelException(String.format("could not map the stub at the configured address 0x%x: %s",
                    at, e.getMessage()), e);
        }
        if (got != at) {
            Sys.munmap(got, stubLength);
            throw new IllegalArgumentException(String.format("stub address 0x%x is not free in the JVM (the kernel"
                    + " offered 0x%x instead): configure a free address, or none for the arch's placement", at, got));
        }
        Sys.pokeBytes(got, stub.code());
        Sys.mprotect(got, stubLength, Mman.PROT_READ | Mman.PROT_EXEC);
        return got;
    }

    private static long mapCode(byte[] code, long hint, long length) {
        long at = Sys.mmap(hint, length, Mman.PROT_READ | Mman.PROT_WRITE, Mman.MAP_PRIVATE | Mman.MAP_ANONYMOUS, -1, 0);
        Sys.pokeBytes(at, code);
        Sys.mprotect(at, length, Mman.PROT_READ | Mman.PROT_EXEC);
        return at;
    }

    private static void unmapQuietly(long at, long length) {
        if (at != 0) {
            try {
                Sys.munmap(at, length);
            } catch (LinuxException e) {
                LOG.log(Level.WARNING, "munmap of Tether code failed", e);
            }
        }
    }

    static long roundUp(long v, long page) {
        return (v + page - 1) / page * page;
    }

    static String readOrEmpty(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * probeSeccomp (spec §3), arch-neutral: a throw-away stub (exit signal 0, so its death spares
     * the host) under the stub policy with default ERRNO(0) runs sched_yield (not allowed) under
     * PTRACE_SYSEMU with arg0 = 1. If seccomp ran before the syscall-entry stop, ERRNO(0) set the
     * return register to 0; if not (Linux >= 4.8), it still holds -ENOSYS (amd64) or arg0 = 1
     * (arm64, whose x0 carries arg0 at the entry stop).
     */
    private boolean probeSeccomp() {
        Tracee t = createTracee(0, filter(Action.errno(0), null));
        try {
            Registers regs = layout.createSyscallRegs(t.initRegs(), table.require("sched_yield"), 1);
            t.setRegs(regs);
            while (true) {
                try {
                    Sys.ptrace(Ptrace.PTRACE_SYSEMU, t.tid, 0, 0);
                } catch (LinuxException e) {
                    if (e.errno() == Errno.EIO) {
                        throw new UnsupportedKernelException("PTRACE_SYSEMU is not supported by this kernel"
                                + " (arm64 needs Linux >= 5.3)", e);
                    }
                    throw e;
                }
                if (t.waitStopped("probeSeccomp") == Tracee.SYSCALL_STOP) {
                    break;
                }
            }
            return layout.syscallReturnValue(t.getRegs()) != 0;
        } finally {
            t.kill();
        }
    }

    // ---------------------------------------------------------------- filters

    /** The stub policy for the platform's failure mode (its process-clone rule names the mode's exit signal). */
    @Override
    public Policy stubPolicy(Action action) {
        return StubPolicy.build(table, contribution, action, processCloneFlags());
    }

    /** CLONE_FILES | the failure mode's exit signal (spec §2.1; DESIGN rule 5). */
    long processCloneFlags() {
        return Clone.CLONE_FILES | (settings.failureMode() == FailureMode.FAIL_STOP ? Signals.SIGKILL : 0);
    }

    /**
     * The master's policy, inherited by every subprocess: the stub policy plus one rule set of
     * Tether's own, appended after the seed's and the arch's, allowing {@code mprotect} for
     * {@code Subprocess.protect} (the seed's address spaces only map and unmap). With a legacy
     * ALLOW default nothing needs adding.
     */
    Policy subprocessPolicy(Action action) {
        Policy p = stubPolicy(action);
        if (action.equals(Action.ALLOW)) {
            return p;
        }
        List<dev.tether.seccomp.RuleSet> sets = new ArrayList<>(p.ruleSets());
        sets.add(new dev.tether.seccomp.RuleSet(Action.ALLOW, false,
                List.of(dev.tether.seccomp.SyscallRule.any(table.require("mprotect")))));
        return p.withRuleSets(sets);
    }

    /**
     * The stub filter for {@code action}, compiled once per action (the policy does not depend on
     * a stub's own clone flags), or {@code custom} compiled afresh (the caller frees it).
     */
    private NativeMemory filter(Action action, Policy custom) {
        if (custom != null) {
            return compile(custom);
        }
        synchronized (lock) {
            return filters.computeIfAbsent("stub:" + action, k -> compile(stubPolicy(action)));
        }
    }

    /** The master's filter ({@link #subprocessPolicy}), compiled once. */
    private NativeMemory masterFilter() {
        synchronized (lock) {
            return filters.computeIfAbsent("master:" + defaultAction, k -> compile(subprocessPolicy(defaultAction)));
        }
    }

    /**
     * A compiled filter as a {@code struct sock_fprog} in native memory: {@code u16 len; 6 bytes
     * padding; sock_filter *filter}, with the program bytes following the 16-byte header.
     */
    private NativeMemory compile(Policy policy) {
        Program prog = SeccompCompiler.compile(policy, table);
        byte[] bytes = prog.toBytes(NativeMemory.order());
        NativeMemory m = NativeMemory.allocate(16 + bytes.length);
        m.putShort(0, (short) prog.size());
        m.putLong(8, m.address() + 16);
        m.write(16, bytes, 0, bytes.length);
        return m;
    }

    // ---------------------------------------------------------------- creation

    private TracerThread pickTracer() {
        return tracers.get(Math.floorMod(nextTracer.getAndIncrement(), tracers.size()));
    }

    /**
     * attachedThread (spec §2.2), on the calling tracer thread: clone through the arch's
     * trampoline, wait for the child's own SIGSTOP, attach, grab the initial registers. On any
     * failure the child is killed and reaped before the error is thrown.
     */
    private Tracee createTracee(long cloneFlags, NativeMemory fprog) {
        TracerThread owner = tracers.stream().filter(TracerThread::isCurrent).findFirst()
                .orElseThrow(() -> new IllegalStateException("stub creation must run on a tracer thread"));
        long pid;
        try (NativeMemory args = NativeMemory.allocate(8L * StubProgram.ARG_WORDS)) {
            args.putLong(8L * StubProgram.ARG_CLONE_FLAGS, cloneFlags);
            args.putLong(8L * StubProgram.ARG_STUB_ENTRY, stubAddress + program.stub().entryOffset());
            args.putLong(8L * StubProgram.ARG_PPID, Sys.getpid()); // for the PDEATHSIG race check
            args.putLong(8L * StubProgram.ARG_FPROG, fprog.address());
            args.putLong(8L * StubProgram.ARG_SECCOMP_FLAGS, Prctl.SECCOMP_FILTER_FLAG_TSYNC);
            args.putLong(8L * StubProgram.ARG_RSEQ_OFFSET, rseqOffset);
            args.putLong(8L * StubProgram.ARG_RSEQ_LEN, rseqLength);
            args.putLong(8L * StubProgram.ARG_RSEQ_SIG, program.rseqSignature() & 0xffffffffL);
            args.putLong(8L * StubProgram.ARG_CPUID_FAULT, cpuidFaulting ? 1 : 0);
            args.putLong(8L * StubProgram.ARG_FULL_SIGSET, -1L);
            StubLockdown.fill(args, stubAddress, stubLength); // seal the stub page, drop every capability
            pid = Sys.callFunction(trampolineAddress, args.address());
        }
        if (pid < 0) {
            throw new LinuxException(String.format("clone(0x%x)", cloneFlags), (int) -pid);
        }
        Tracee t = new Tracee((int) pid, (int) pid, owner, layout);
        try {
            // The child is not traced yet: it stops itself (group-stop) once bootstrapped.
            int status = Sys.wait4(t.tid, Tracee.WAIT_OPTIONS);
            if (!Wait.stopped(status) || Wait.stopSignal(status) != Signals.SIGSTOP) {
                String why = Wait.describe(status);
                if (Wait.exited(status)) {
                    int code = Wait.exitStatus(status);
                    why += code == 1 ? " (EPERM, or its parent died before PDEATHSIG was armed)" : " (" + Errno.name(code) + ")";
                }
                if (Wait.stopped(status)) {
                    t.kill();
                } else {
                    t.markReaped(status); // this wait collected it
                }
                throw new TetherException("stub " + pid + " failed to bootstrap: " + why);
            }
            try {
                t.attach();
            } catch (LinuxException e) {
                if (e.errno() == Errno.EPERM) {
                    throw new UnsupportedKernelException("ptrace attach is not permitted here (" + e.getMessage()
                            + "); check /proc/sys/kernel/yama/ptrace_scope, CAP_SYS_PTRACE and seccomp filters on the JVM", e);
                }
                throw e;
            }
            t.grabInitRegs();
            checkStoppedInStub(t);
            return t;
        } catch (RuntimeException e) {
            if (!t.reaped()) {
                try {
                    t.kill();
                } catch (RuntimeException k) {
                    e.addSuppressed(k);
                }
            }
            throw e;
        }
    }

    private Stub create(long cloneFlags, Action action, Policy custom) {
        Threads.refuseVirtual("StubPlatform.createStub");
        checkOpen();
        NativeMemory fprog = filter(action, custom);
        TracerThread owner = pickTracer();
        StubImpl stub;
        long t0 = System.nanoTime();
        boolean trim = custom == null || allowsTrim(custom);
        try {
            stub = owner.call(() -> {
                Tracee t = createTracee(cloneFlags, fprog);
                if (trim) {
                    try {
                        trim(t);
                    } catch (RuntimeException e) {
                        t.kill();
                        throw e;
                    }
                }
                return new StubImpl(this, t, cloneFlags);
            });
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

    /** Unmaps a new stub from the JVM down to its stub page ({@link StubAddressSpace}), on its tracer. */
    private void trim(Tracee t) {
        int munmap = table.require("munmap");
        StubAddressSpace.unmapAllButStub(t.tgid, (at, len) -> t.inject(munmap, new long[] {at, len}, "munmap of the JVM's image"),
                stubAddress, stubAddress + stubLength, taskSize);
    }

    /**
     * Whether a caller's own policy lets the stub's two munmap calls through (checked with the
     * BPF interpreter on the compiled program, as the kernel would run it): a stub whose policy
     * forbids munmap keeps the JVM's image, as it would be killed trimming it.
     */
    private boolean allowsTrim(Policy policy) {
        Program prog = SeccompCompiler.compile(policy, table);
        int munmap = table.require("munmap");
        long ip = stubAddress + program.stub().syscallOffset();
        for (long[] args : new long[][] {{0, stubAddress}, {stubAddress + stubLength, taskSize - stubAddress - stubLength}}) {
            byte[] data = dev.tether.seccomp.SeccompData.of(munmap, table.auditArch(), ip, args).toBytes(NativeMemory.order());
            int verdict = dev.tether.bpf.Interpreter.run(prog, data, NativeMemory.order()).value();
            if ((verdict & Action.ACTION_FULL) != Action.RET_ALLOW) {
                return false;
            }
        }
        return true;
    }

    @Override
    public Stub createStub() {
        return create(processCloneFlags(), defaultAction, null);
    }

    @Override
    public Stub attachedThread(long cloneFlags, Action action) {
        checkCloneFlags(cloneFlags);
        return create(cloneFlags, action, null);
    }

    @Override
    public Stub attachedThread(long cloneFlags, Policy policy) {
        if (policy == null) {
            throw new IllegalArgumentException("policy is required");
        }
        checkCloneFlags(cloneFlags);
        return create(cloneFlags, null, policy);
    }

    /**
     * The clone flags a stub created from the JVM may have: an exit signal (the low byte,
     * CSIGNAL; 0 or a signal number up to SIGRTMAX = 64) and CLONE_FILES, which is what gVisor's
     * createStub passes ({@code SIGKILL | CLONE_FILES}). Everything else is refused before any
     * clone: CLONE_VM would share the JVM's memory, CLONE_SIGHAND its signal handlers (which the
     * child's reset loop would then reset, and the JVM dies at its next implicit null check),
     * CLONE_VFORK would block the tracer until the child execs, which it never does,
     * CLONE_THREAD/CLONE_PTRACE/CLONE_PARENT would make the stub a thread or a sibling of the JVM.
     */
    static void checkCloneFlags(long cloneFlags) {
        long exitSignal = cloneFlags & Clone.CSIGNAL;
        long other = cloneFlags & ~Clone.CSIGNAL & ~Clone.CLONE_FILES;
        if (other != 0 || exitSignal > Signals.SIGRTMAX) {
            throw new IllegalArgumentException(String.format("clone flags 0x%x are not allowed for a stub: %s. Allowed:"
                    + " an exit signal (0..%d) and CLONE_FILES, as gVisor's createStub (SIGKILL | CLONE_FILES)",
                    cloneFlags, other != 0 ? "refused " + Clone.describeFlags(other)
                            : "exit signal " + exitSignal + " is not a signal", Signals.SIGRTMAX));
        }
    }

    // ---------------------------------------------------------------- subprocesses

    /** The end of this kernel's user address space (probed: TASK_SIZE, at most the arch's maximum). */
    long maximumUserAddress() {
        return taskSize;
    }

    /**
     * The master stub (gVisor's {@code newSubprocess(createStub)} for the first address space):
     * created from the JVM on first use by tracer thread 0, then unmapped down to its stub page,
     * so that forking from it copies almost no page tables. A master known to be dead (killed
     * from outside, OOM-killed) is reaped and replaced here, in contained mode; in fail-stop mode
     * its death has already taken the JVM with it.
     */
    SubprocessImpl master() {
        SubprocessImpl m = master;
        if (m != null && m.alive()) {
            return m;
        }
        synchronized (lock) {
            if (closed) {
                throw new PlatformClosedException("the " + layout.arch() + " stub platform is closed");
            }
            SubprocessImpl dead = master;
            if (dead != null && !dead.alive()) {
                master = null;
                retire(dead);
            }
            if (master == null) {
                TracerThread t0 = tracers.get(0);
                NativeMemory fprog = masterFilter();
                long t = System.nanoTime();
                SubprocessImpl created = t0.call(() -> {
                    SubprocessImpl s = new SubprocessImpl(this, createTracee(processCloneFlags(), fprog), t0, true);
                    try {
                        s.unmapAll();
                    } catch (RuntimeException e) {
                        s.first.kill();
                        throw e;
                    }
                    return s;
                });
                listener.stubCreated(created.pid(), false, System.nanoTime() - t);
                if (dead != null) {
                    listener.masterRestarted(dead.pid(), created.pid(), String.valueOf(dead.death()));
                }
                master = created;
            }
            return master;
        }
    }

    /** Kills and reaps a dead master on its owner; a failure is logged, the replacement goes ahead. */
    private void retire(SubprocessImpl dead) {
        try {
            dead.owner.call(() -> {
                dead.killAndReap();
                return null;
            });
        } catch (RuntimeException e) {
            listener.failed("reaping the dead master stub " + dead.pid(), e);
        }
    }

    /**
     * (s *subprocess) createStub() of gVisor's subprocess.go, on tracer thread {@code t}: an
     * injected clone in the master through t's own master stub thread, with the child's expected
     * ppid and the re-bootstrap flag set (initChildProcessPPID); an injected wait4 for the
     * child's group-stop; attach from t; check where it stopped. A master found dead on the way
     * is replaced and the fork tried once more (contained mode).
     */
    private SubprocessImpl fork(TracerThread t) {
        SubprocessImpl m = master();
        try {
            return t.call(() -> forkFrom(m));
        } catch (dev.tether.api.StubDiedException e) {
            if (m.alive() || settings.failureMode() != FailureMode.CONTAINED) {
                throw e;
            }
            SubprocessImpl again = master();
            return t.call(() -> forkFrom(again));
        }
    }

    /** For tests: runs with a new child's pid between its clone and its attach (null: nothing). */
    volatile java.util.function.IntConsumer afterForkClone;

    private SubprocessImpl forkFrom(SubprocessImpl m) {
        long t0 = System.nanoTime();
        Tracee mt = m.threadFor(Thread.currentThread());
        long pid;
        try {
            pid = mt.injectAdjusted(r -> layout.initChildProcessPPID(r, m.pid()), table.require("clone"),
                    new long[] {processCloneFlags(), 0, 0, 0, 0, 0}, "clone of a subprocess");
        } catch (dev.tether.api.StubDiedException e) {
            m.died(e);
            throw e;
        }
        if (pid <= 0) {
            throw new TetherException("creating stub process: clone in the master returned " + Errno.name((int) -pid));
        }
        Tracee child = new Tracee((int) pid, (int) pid, ownerOf(), layout);
        try {
            long w;
            try {
                w = mt.inject(table.require("wait4"), new long[] {pid, 0, Wait.__WALL | Wait.WUNTRACED, 0, 0, 0},
                        "wait4 for a new subprocess");
            } catch (dev.tether.api.StubDiedException e) {
                m.died(e);
                throw e;
            }
            if (w != pid) {
                throw new TetherException("waiting on stub process " + pid + ": wait4 in the master returned "
                        + (w < 0 && w > -4096 ? Errno.name((int) -w) : Long.toString(w)));
            }
            java.util.function.IntConsumer hook = afterForkClone;
            if (hook != null) {
                hook.accept((int) pid);
            }
            child.attach();
            child.grabInitRegs();
            checkStoppedInStub(child);
        } catch (RuntimeException e) {
            discardChild(m, mt, child, e);
            throw e;
        }
        // No unmapAll: the child is a copy of the master, which holds only the stub page.
        SubprocessImpl s = new SubprocessImpl(this, child, ownerOf(), false);
        listener.stubCreated((int) pid, true, System.nanoTime() - t0);
        return s;
    }

    /** The tracer thread the calling code runs on. */
    private TracerThread ownerOf() {
        return tracers.stream().filter(TracerThread::isCurrent).findFirst()
                .orElseThrow(() -> new IllegalStateException("must run on a tracer thread"));
    }

    /** The IP check host stubs get: a new stub must be stopped on its syscall instruction. */
    private void checkStoppedInStub(Tracee t) {
        long ip = t.initRegs().get(layout.instructionPointerIndex());
        long expected = stubAddress + program.stub().syscallOffset();
        if (ip != expected) {
            throw new TetherException(String.format("stub %d stopped at 0x%x, expected its syscall instruction at 0x%x",
                    t.tgid, ip, expected));
        }
    }

    /**
     * A fork failed after its clone: kill the child and reap it, as our tracee if it was attached
     * and through the master, its parent (an injected wait4), so that nothing is left behind.
     */
    private void discardChild(SubprocessImpl m, Tracee mt, Tracee child, RuntimeException why) {
        try {
            GroupReaper.killAndReap(child.tgid, java.util.List.of(child.tid), false);
            if (m.alive()) {
                mt.inject(table.require("wait4"), new long[] {child.tgid, 0, Wait.__WALL, 0, 0, 0}, "wait4 reaping a failed fork");
            }
        } catch (RuntimeException e) {
            why.addSuppressed(e);
        }
    }

    @Override
    public dev.tether.api.Subprocess newSubprocess() {
        Threads.refuseVirtual("StubPlatform.newSubprocess");
        checkOpen();
        SubprocessImpl s;
        while ((s = pool.pollLast()) != null) {
            if (s.alive() && s.quietInKernel()) {
                s.pooled = false;
                refillAfterHit();
                return s;
            }
            // Died while pooled (killed from outside, or by EXITKILL when a thread that had used
            // it ended, which is normal in thread pools): never handed out, reaped now.
            s.markDead("died while pooled");
            reapDead(s);
        }
        s = forkSubprocess();
        refill();
        return s;
    }

    @Override
    public SubprocessImpl forkSubprocess() {
        Threads.refuseVirtual("StubPlatform.forkSubprocess");
        checkOpen();
        SubprocessImpl s = fork(pickTracer());
        synchronized (lock) {
            if (!closed) {
                subprocesses.add(s);
                return s;
            }
        }
        destroy(s);
        throw new PlatformClosedException("the platform was closed while the subprocess was being created");
    }

    /** Wakes the pre-forker when the pool is below the configured pre-fork count. */
    private void refill() {
        if (settings.prefork() == 0 || pool.size() >= settings.prefork()) {
            return;
        }
        synchronized (lock) {
            if (closed) {
                return;
            }
            if (preforker == null) {
                preforker = new Thread(this::preforkLoop, "tether-prefork-" + layout.arch());
                preforker.setDaemon(true);
                preforker.start();
            }
            lock.notifyAll();
        }
    }

    /**
     * After a pool hit, wakes the pre-forker only once the pool is down to its low-water mark,
     * (prefork - 1) / 2, and it then refills the pool to the pre-fork count: waking a sleeping
     * thread costs the caller a futex wake, in a VM an IPI to an idle vCPU too, ~8 µs measured
     * against < 1 µs for the hand-out itself, so most acquisitions should not pay it.
     */
    private void refillAfterHit() {
        int prefork = settings.prefork();
        if (prefork > 0 && pool.size() <= (prefork - 1) / 2) {
            refill();
        }
    }

    private void preforkLoop() {
        while (true) {
            synchronized (lock) {
                while (!closed && pool.size() >= settings.prefork()) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (closed) {
                    return;
                }
            }
            try {
                SubprocessImpl s = fork(pickTracer());
                s.pooled = true;
                synchronized (lock) {
                    if (closed) {
                        s.pooled = false;
                    } else {
                        subprocesses.add(s);
                        pool.addLast(s);
                        continue;
                    }
                }
                destroy(s);
                return;
            } catch (RuntimeException e) {
                listener.failed("pre-fork", e);
                LOG.log(Level.WARNING, "pre-forking a subprocess failed", e);
                return;
            }
        }
    }

    /**
     * Applies a new pool size and pre-fork count to the running platform (config wiring: unlike
     * the other settings they change no existing stub). Pooled subprocesses beyond the new size
     * are destroyed, oldest first (contained mode; fail-stop ones cannot be, and stay pooled).
     */
    public void reconfigurePool(int poolSize, int prefork) {
        Settings s = settings;
        settings = new Settings(s.failureMode(), s.tracerThreads(), poolSize, prefork, s.stubAddress());
        if (s.failureMode() == FailureMode.CONTAINED) {
            SubprocessImpl extra;
            while (pool.size() > poolSize && (extra = pool.pollFirst()) != null) {
                try {
                    destroy(extra);
                } catch (RuntimeException e) {
                    listener.failed("shrinking the subprocess pool", e);
                }
            }
        }
        refill();
    }

    /**
     * Release (gVisor's subprocess.Release): unmap and pool it, or destroy it when the pool is
     * full. In fail-stop mode a subprocess cannot be destroyed (its death would kill the master
     * and the JVM), so it is always pooled, as gVisor's pool, which has no limit: the pool size
     * bounds only what contained mode keeps.
     */
    void release(SubprocessImpl s) {
        if (pool.size() >= settings.poolSize() && settings.failureMode() == FailureMode.CONTAINED) {
            destroy(s);
            return;
        }
        try {
            s.owner.call(() -> {
                s.unmapAll();
                return null;
            });
        } catch (RuntimeException e) {
            destroy(s);
            throw e;
        }
        s.pooled = true;
        pool.addLast(s);
    }

    /**
     * A subprocess was found dead: kill what is left of it and reap it now (contained mode). A
     * failure is logged and counted, never thrown: the caller is already reporting the death.
     */
    void reapDead(SubprocessImpl s) {
        try {
            destroy(s);
        } catch (RuntimeException e) {
            listener.failed("reaping dead subprocess " + s.pid(), e);
        }
    }

    /**
     * Kills and reaps a subprocess; its leader's zombie is reaped through the master, its
     * parent. Idempotent: only the first call does the work.
     */
    void destroy(SubprocessImpl s) {
        if (settings.failureMode() == FailureMode.FAIL_STOP) {
            throw new TetherException("fail-stop mode: subprocess " + s.pid() + " was cloned with exit signal SIGKILL;"
                    + " killing it would kill the master stub and with it the JVM. Use contained mode to destroy subprocesses");
        }
        pool.remove(s);
        synchronized (lock) {
            subprocesses.remove(s);
        }
        if (!s.startTeardown()) {
            return;
        }
        s.owner.call(() -> {
            s.killAndReap();
            SubprocessImpl m = master;
            if (m != null && m.alive()) {
                Tracee mt = m.threadFor(Thread.currentThread());
                long r = mt.inject(table.require("wait4"), new long[] {s.pid(), 0, Wait.__WALL, 0, 0, 0}, "wait4 reaping a subprocess");
                if (r != s.pid() && r != -Errno.ECHILD) {
                    LOG.log(Level.WARNING, "reaping subprocess " + s.pid() + " through the master returned " + r);
                }
            }
            return null;
        });
    }

    @Override
    public List<dev.tether.api.Subprocess> subprocesses() {
        synchronized (lock) {
            return List.copyOf(subprocesses);
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

    String describeSyscall(long nr) {
        Optional<String> n = nr >= 0 && nr <= Integer.MAX_VALUE ? table.name((int) nr) : Optional.empty();
        return n.map(s -> s + " (" + nr + ")").orElse("syscall " + nr);
    }

    @Override
    public List<Stub> stubs() {
        synchronized (lock) {
            return List.copyOf(live);
        }
    }

    /** The stub's machine code, for diagnostics. */
    public MachineCode stubCode() {
        return program.stub();
    }

    void forget(StubImpl s) {
        synchronized (lock) {
            live.remove(s);
        }
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
            if (master != null && settings.failureMode() == FailureMode.FAIL_STOP) {
                throw new TetherException("fail-stop mode: the master stub was cloned with exit signal SIGKILL, so"
                        + " tearing it down would kill the JVM; it ends when the JVM does");
            }
            closed = true;
            live.clear();
            lock.notifyAll(); // the pre-forker
        }
        if (preforker != null) {
            try {
                preforker.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (SubprocessImpl s : new ArrayList<>(subprocesses)) {
            try {
                destroy(s);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "could not tear down " + s, e);
            }
        }
        SubprocessImpl m = master;
        if (m != null) {
            try {
                m.owner.call(() -> {
                    m.killAndReap();
                    return null;
                });
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "could not tear down " + m, e);
            }
        }
        for (StubImpl s : victims) {
            try {
                s.tracee.owner.call(() -> {
                    s.killNow();
                    return null;
                });
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "could not tear down " + s, e);
            }
        }
        for (TracerThread t : tracers) {
            t.stop();
        }
        for (TracerThread t : tracers) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        pinReleaser.close();
        unmapQuietly(stubAddress, stubLength);
        unmapQuietly(trampolineAddress, trampolineLength);
        synchronized (lock) {
            filters.values().forEach(NativeMemory::close);
            filters.clear();
        }
    }
}
