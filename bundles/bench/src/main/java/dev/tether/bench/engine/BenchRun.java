package dev.tether.bench.engine;

import dev.tether.abi.Mman;
import dev.tether.api.FailureMode;
import dev.tether.api.PlatformFacts;
import dev.tether.api.Stub;
import dev.tether.api.StubPlatform;
import dev.tether.api.Subprocess;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;

/** One run of the operations, on the bench thread: the per-op measuring loops (the pool's in {@link PoolAcquire}). */
final class BenchRun {
    /** Where the memory operations map their buffer in the subprocess (any free, page-aligned address). */
    static final long MEM_ADDRESS = 0x10000000L;
    static final int MIB = 1 << 20;
    /** Stub threads per subprocess in new_thread (one long-lived Java thread each). */
    static final int THREADS_PER_BATCH = 64;

    final StubPlatform p;
    final GuestBench guest;
    final double seconds;
    final BlockingQueue<String> out;
    final int getpid;

    BenchRun(StubPlatform p, GuestBench guest, double seconds, BlockingQueue<String> out) {
        this.p = p;
        this.guest = guest;
        this.seconds = seconds;
        this.out = out;
        this.getpid = p.syscallNumber("getpid");
    }

    void all(List<String> ops) throws Exception {
        PlatformFacts f = p.facts();
        Runtime rt = Runtime.getRuntime();
        String gcs = ManagementFactory.getGarbageCollectorMXBeans().stream()
                .map(GarbageCollectorMXBean::getName).collect(Collectors.joining("+"));
        out.add(String.format(Locale.ROOT, "# tether bench (Java) pid=%d arch=%s kernel=%s java=%s gc=%s max_heap_mb=%d"
                + " failure_mode=%s tracer_threads=%d stub_page=0x%x secs_per_op=%.1f",
                ProcessHandle.current().pid(), f.arch(), f.kernel(), System.getProperty("java.version"), gcs,
                rt.maxMemory() >> 20, f.failureMode(), f.tracerThreads(), f.stubAddress(), seconds));
        boolean failStop = f.failureMode() == FailureMode.FAIL_STOP;
        for (String op : ops) {
            if (failStop && !op.startsWith("inject") && !op.startsWith("mem_")) {
                out.add("# " + op + ": skipped: in fail-stop mode stubs and subprocesses cannot be torn down while"
                        + " the JVM lives");
                continue;
            }
            Samples s = new Samples();
            switch (op) {
                case "host_stub": hostStub(s); break;
                case "fork": fork(s); break;
                case "new_thread": newThread(s); break;
                case "new_thread_sync": newThreadSync(s); break;
                case "inject": inject(s, false); break;
                case "inject_alloc": inject(s, true); break;
                case "unmap": unmap(s); break;
                case "mem_read_4k": memory(s, false, 4096); break;
                case "mem_write_4k": memory(s, true, 4096); break;
                case "mem_read_1m": memory(s, false, MIB); break;
                case "mem_write_1m": memory(s, true, MIB); break;
                case "pool_acquire": new PoolAcquire(p, seconds, out).run(s); break;
                case "guest_syscall": guestSwitch(s, false); break;
                case "guest_syscall_fp": guestSwitch(s, true); break;
                case "switch": guestSwitch(s, false); break;
                default: throw new IllegalArgumentException("unknown op " + op);
            }
            if (s.n > 0) {
                out.add(s.line(op));
            }
        }
    }

    void hostStub(Samples s) {
        Budget b = new Budget(seconds);
        while (b.more(s)) {
            long t0 = System.nanoTime();
            Stub stub = p.createStub();
            stub.close();
            b.record(s, System.nanoTime() - t0);
        }
    }

    void fork(Samples s) {
        Budget b = new Budget(seconds);
        while (b.more(s)) {
            long t0 = System.nanoTime();
            Subprocess sp = p.forkSubprocess();
            long d = System.nanoTime() - t0;
            sp.destroy();
            b.record(s, d);
        }
    }

    /**
     * Each sample is the first call of a fresh platform thread into a subprocess: the
     * lookupOrCreate of its stub thread. The thread first makes an untimed call into another
     * subprocess, so that its thread-local native buffers exist, and then stays alive (it
     * traces its stub thread) until the subprocess is destroyed, {@value #THREADS_PER_BATCH}
     * threads at a time.
     */
    void newThread(Samples s) throws Exception {
        Budget b = new Budget(seconds);
        while (b.more(s)) {
            Subprocess warm = p.forkSubprocess();
            Subprocess target = p.forkSubprocess();
            CountDownLatch release = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            try {
                for (int i = 0; i < THREADS_PER_BATCH && b.more(s); i++) {
                    CompletableFuture<Long> sample = new CompletableFuture<>();
                    Thread t = new Thread(() -> {
                        try {
                            warm.registers();
                            long t0 = System.nanoTime();
                            target.registers();
                            sample.complete(System.nanoTime() - t0);
                        } catch (Throwable e) {
                            sample.completeExceptionally(e);
                        }
                        awaitQuietly(release);
                    }, "tether-bench-user-" + i);
                    t.setDaemon(true);
                    threads.add(t);
                    t.start();
                    long d;
                    try {
                        d = sample.get();
                    } catch (ExecutionException e) {
                        throw new IllegalStateException("new_thread: the first call of a fresh thread failed", e.getCause());
                    }
                    b.record(s, d);
                }
            } finally {
                target.destroy();
                warm.destroy();
                release.countDown();
                for (Thread t : threads) {
                    t.join();
                }
            }
        }
    }

    void newThreadSync(Samples s) {
        Budget b = new Budget(seconds);
        while (b.more(s)) {
            Subprocess sp = p.forkSubprocess();
            try {
                long t0 = System.nanoTime();
                sp.registers();
                b.record(s, System.nanoTime() - t0);
            } finally {
                sp.destroy();
            }
        }
    }

    void inject(Samples s, boolean alloc) throws Exception {
        Subprocess sp = p.forkSubprocess();
        Garbage g = alloc ? new Garbage() : null;
        long gcBefore = gcCount();
        try {
            int pid = sp.pid();
            sp.syscall(getpid); // creates this thread's stub thread
            Budget b = new Budget(seconds);
            while (b.more(s)) {
                long t0 = System.nanoTime();
                long r = sp.syscall(getpid);
                long d = System.nanoTime() - t0;
                if (r != pid) {
                    throw new IllegalStateException("inject: getpid in subprocess " + pid + " returned " + r);
                }
                b.record(s, d);
            }
        } finally {
            if (g != null) {
                g.stop();
            }
            sp.destroy();
        }
        if (g != null) {
            long[] sorted = Arrays.copyOf(s.v, s.n);
            Arrays.sort(sorted);
            out.add(String.format(Locale.ROOT, "# inject_alloc: a garbage thread allocated %d MiB meanwhile; %d"
                    + " collections; p99.9_us=%.2f max_us=%.2f", g.allocated >> 20, gcCount() - gcBefore,
                    Samples.pct(sorted, 0.999), sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1] / 1000.0));
        }
    }

    /** One guest system call round trip: IP to the code's start, switch in, answer the call. */
    void guestSwitch(Samples s, boolean fp) {
        if (guest == null) {
            throw new IllegalStateException("guest_syscall: no such GuestPlatform service (the core bundle registers ptrace with"
                    + " the stub platform, the trap bundle trap)");
        }
        if (p.facts().cpuidFaulting()) {
            out.add("# guest_syscall" + (fp ? "_fp" : "") + ": CPUID faulting is on in this platform's stubs: each switch pays"
                    + " two MSR writes (README, Guests); tether bench --cpuid-faulting false turns it off");
        }
        out.add("# " + (fp ? "guest_syscall_fp" : "guest_syscall/switch") + ": on the " + guest.platform().mechanism()
                + " guest platform");
        try (dev.tether.guest.GuestAddressSpace space = guest.platform().newAddressSpace()) {
            Subprocess sp = space.subprocess();
            long text = sp.mapAnonymous(0, 4096, Mman.PROT_READ | Mman.PROT_WRITE | Mman.PROT_EXEC);
            sp.write(text, guest.code(), 0, guest.code().length);
            dev.tether.guest.GuestContext c = space.newContext();
            c.setLazyFloatingPoint(!fp);
            java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
            long javaCpu0 = mx.getCurrentThreadCpuTime();
            long guestNs0 = cpuNanos(sp.pid());
            int n0 = s.n;
            Budget b = new Budget(seconds);
            while (b.more(s)) {
                c.setInstructionPointer(text);
                long t0 = System.nanoTime();
                dev.tether.guest.GuestEvent e = c.switchTo();
                long d = System.nanoTime() - t0;
                if (!(e instanceof dev.tether.guest.GuestEvent.Syscall sc) || sc.number() != getpid) {
                    throw new IllegalStateException("guest_syscall: expected the guest's getpid, got " + e);
                }
                c.setSyscallResult(0x4000_0000L);
                b.record(s, d);
            }
            long trips = Math.max(1, s.n - n0);
            double javaUs = (mx.getCurrentThreadCpuTime() - javaCpu0) / 1000.0 / trips;
            double guestUs = (cpuNanos(sp.pid()) - guestNs0) / 1000.0 / trips;
            out.add(String.format(Locale.ROOT, "# guest_syscall/switch: CPU time per round trip (recorded samples): Java thread"
                    + " %.2f us (its CPU clock), guest process %.2f us (schedstat run time of all its threads)", javaUs, guestUs));
        }
    }

    /**
     * The time every thread of process {@code pid} has run on a CPU, in ns: the first field of each
     * /proc/PID/task/TID/schedstat (proc(5), "/proc/[pid]/schedstat"; Linux's
     * Documentation/scheduler/sched-stats.rst), exact where utime+stime are sampled at 100 Hz; 0 if
     * unreadable.
     */
    static long cpuNanos(int pid) {
        long sum = 0;
        try (java.util.stream.Stream<java.nio.file.Path> tasks = java.nio.file.Files.list(java.nio.file.Path.of("/proc/" + pid + "/task"))) {
            for (java.nio.file.Path t : (Iterable<java.nio.file.Path>) tasks::iterator) {
                try {
                    String st = java.nio.file.Files.readString(t.resolve("schedstat")).trim();
                    sum += Long.parseLong(st.substring(0, st.indexOf(' ')));
                } catch (java.io.IOException | RuntimeException e) {
                    // the thread ended meanwhile: its time is gone with it
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            return 0;
        }
        return sum;
    }

    void unmap(Samples s) {
        Subprocess sp = p.forkSubprocess();
        try {
            Budget b = new Budget(seconds);
            while (b.more(s)) {
                sp.mapAnonymous(MEM_ADDRESS, MIB, Mman.PROT_READ | Mman.PROT_WRITE);
                long t0 = System.nanoTime();
                sp.unmap(MEM_ADDRESS, MIB);
                b.record(s, System.nanoTime() - t0);
            }
        } finally {
            sp.destroy();
        }
    }

    void memory(Samples s, boolean write, int size) {
        Subprocess sp = p.forkSubprocess();
        try {
            sp.mapAnonymous(MEM_ADDRESS, MIB, Mman.PROT_READ | Mman.PROT_WRITE);
            byte[] pattern = new byte[MIB];
            new java.util.SplittableRandom(size).nextBytes(pattern);
            sp.write(MEM_ADDRESS, pattern, 0, MIB); // populates every page
            byte[] buf = new byte[size];
            Budget b = new Budget(seconds);
            while (b.more(s)) {
                long t0 = System.nanoTime();
                if (write) {
                    sp.write(MEM_ADDRESS, pattern, 0, size);
                } else {
                    sp.read(MEM_ADDRESS, buf, 0, size);
                }
                b.record(s, System.nanoTime() - t0);
            }
            sp.read(MEM_ADDRESS, buf, 0, size);
            if (!Arrays.equals(buf, 0, size, pattern, 0, size)) {
                throw new IllegalStateException("mem: the subprocess's memory does not hold what was written");
            }
        } finally {
            sp.destroy();
        }
    }

    private static long gcCount() {
        long n = 0;
        for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) {
            n += Math.max(0, b.getCollectionCount());
        }
        return n;
    }

    private static void awaitQuietly(CountDownLatch l) {
        boolean interrupted = false;
        while (true) {
            try {
                l.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // must outlive its stub thread's subprocess: keep waiting
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
