package dev.tether.shell;

import dev.tether.abi.Mman;
import dev.tether.api.FailureMode;
import dev.tether.api.PlatformFacts;
import dev.tether.api.Stub;
import dev.tether.api.StubPlatform;
import dev.tether.api.Subprocess;
import java.io.PrintStream;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * {@code tether:bench [--ops a,b] [--seconds N]}: times the platform's operations through the
 * public API and prints one line per operation in the native floor's format
 * ({@code ../shared/bench/native-floor}), plus the 99th percentile:
 * {@code op=NAME n=N median_us=X p90_us=Y p99_us=Z}. Lines starting with {@code #} are metadata.
 *
 * <p>The measurements run on one dedicated, long-lived platform thread of this component, never
 * on the shell's thread: a thread that traces stub threads must outlive every subprocess it
 * traces one in (PTRACE_O_EXITKILL, spec §11.2 item 3), and a shell session's thread may end at
 * any time. Every subprocess a run uses is destroyed before the run returns, so the bench thread
 * traces nothing between runs.
 */
@Component(service = BenchCommand.class, property = {"osgi.command.scope=tether", "osgi.command.function=bench"})
public final class BenchCommand {
    /** Every operation, in the order they run. */
    public static final Map<String, String> OPS = ops();
    /** Default seconds of measurement per operation (the floor's default too). */
    public static final double DEFAULT_SECONDS = 2.0;
    /** Upper bound of samples per operation, so that a long run keeps bounded memory. */
    static final int MAX_SAMPLES = 1 << 20;
    /** Where the memory operations map their buffer in the subprocess (any free, page-aligned address). */
    static final long MEM_ADDRESS = 0x10000000L;
    static final int MIB = 1 << 20;
    /** Stub threads per subprocess in new_thread (one long-lived Java thread each). */
    static final int THREADS_PER_BATCH = 64;

    private static final String END = new String("end of run"); // identity marker

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile StubPlatform platform;

    private ExecutorService runner;

    private static Map<String, String> ops() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("host_stub", "StubPlatform.createStub() from the JVM + Stub.close()");
        m.put("fork", "StubPlatform.forkSubprocess(): forked from the master, attached, ready (destroy untimed)");
        m.put("new_thread", "first call from a fresh long-lived thread: lookupOrCreate of its stub thread"
                + " (Subprocess.registers(), so + one PTRACE_GETREGSET)");
        m.put("new_thread_sync", "first call from the bench thread into a freshly forked subprocess, which has no"
                + " spare stub thread yet: the clone is on the caller's path (Subprocess.registers())");
        m.put("inject", "Subprocess.syscall(getpid) through the calling thread's stub thread");
        m.put("inject_alloc", "inject while another thread allocates garbage at full speed (tail latency under GC)");
        m.put("unmap", "Subprocess.unmap of a 1 MiB anonymous mapping (mapped untimed)");
        m.put("mem_read_4k", "Subprocess.read of 4 KiB (process_vm_readv)");
        m.put("mem_write_4k", "Subprocess.write of 4 KiB (process_vm_writev)");
        m.put("mem_read_1m", "Subprocess.read of 1 MiB");
        m.put("mem_write_1m", "Subprocess.write of 1 MiB");
        m.put("pool_acquire", "StubPlatform.newSubprocess() served by the pre-forked pool (destroy untimed)");
        return java.util.Collections.unmodifiableMap(m);
    }

    /** Gogo entry point: {@code tether:bench [--ops a,b] [--seconds N] [--list]}. */
    public void bench(String... args) throws Exception {
        PrintStream out = System.out; // Gogo routes System.out of this thread to the session
        if (Arrays.asList(args).contains("--list") || Arrays.asList(args).contains("--help")) {
            out.println("tether:bench [--ops a,b,...] [--seconds N]   (N seconds of samples per op, default "
                    + DEFAULT_SECONDS + ")");
            OPS.forEach((k, v) -> out.printf("  %-14s %s%n", k, v));
            return;
        }
        Options o = Options.parse(args);
        StubPlatform p = platform;
        if (p == null) {
            out.println("No StubPlatform service: no arch bundle for this host is active.");
            return;
        }
        run(p, o.ops(), o.seconds(), out);
    }

    /**
     * Runs the operations on this component's bench thread and prints their lines to {@code out}
     * from the calling thread as each operation finishes.
     */
    public void run(StubPlatform p, List<String> ops, double seconds, PrintStream out) throws Exception {
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Future<?> done = runner().submit(() -> {
            try {
                new Run(p, seconds, lines).all(ops);
            } finally {
                lines.add(END);
            }
            return null;
        });
        while (true) {
            String line = lines.take();
            if (line == END) {
                break;
            }
            out.println(line);
            out.flush();
        }
        try {
            done.get();
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof Exception) {
                throw (Exception) c;
            }
            throw (Error) c;
        }
    }

    private synchronized ExecutorService runner() {
        if (runner == null) {
            // One core thread that never times out: it lives as long as this component.
            runner = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "tether-bench");
                t.setDaemon(true);
                return t;
            });
        }
        return runner;
    }

    /** Ends the bench thread (it traces nothing between runs). */
    @Deactivate
    public synchronized void close() {
        if (runner != null) {
            runner.shutdown();
            runner = null;
        }
    }

    /** The command line of tether:bench. */
    public static final class Options {
        private final List<String> ops;
        private final double seconds;

        Options(List<String> ops, double seconds) {
            this.ops = ops;
            this.seconds = seconds;
        }

        /** The operations to run, in order. */
        public List<String> ops() {
            return ops;
        }

        /** Seconds of samples per operation. */
        public double seconds() {
            return seconds;
        }

        /** Parses {@code [--ops a,b] [--seconds N]}; bad input is an IllegalArgumentException naming it. */
        public static Options parse(String... args) {
            List<String> ops = new ArrayList<>(OPS.keySet());
            double seconds = DEFAULT_SECONDS;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                String value = null;
                int eq = a.indexOf('=');
                if (a.startsWith("--") && eq > 0) {
                    value = a.substring(eq + 1);
                    a = a.substring(0, eq);
                }
                if (!a.equals("--ops") && !a.equals("--seconds")) {
                    throw new IllegalArgumentException("tether:bench: unknown argument '" + args[i]
                            + "' (usage: tether:bench [--ops a,b,...] [--seconds N] | --list)");
                }
                if (value == null) {
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException("tether:bench: " + a + " needs a value");
                    }
                    value = args[++i];
                }
                if (a.equals("--ops")) {
                    ops = new ArrayList<>();
                    for (String op : value.split(",")) {
                        String name = op.trim();
                        if (name.isEmpty()) {
                            continue;
                        }
                        if (!OPS.containsKey(name)) {
                            throw new IllegalArgumentException("tether:bench: unknown op '" + name + "'; the ops are "
                                    + String.join(", ", OPS.keySet()));
                        }
                        ops.add(name);
                    }
                    if (ops.isEmpty()) {
                        throw new IllegalArgumentException("tether:bench: --ops names no op; the ops are "
                                + String.join(", ", OPS.keySet()));
                    }
                } else {
                    try {
                        seconds = Double.parseDouble(value);
                    } catch (NumberFormatException e) {
                        seconds = Double.NaN;
                    }
                    if (!(seconds > 0 && seconds <= 3600)) {
                        throw new IllegalArgumentException("tether:bench: --seconds must be a number in (0, 3600], got '"
                                + value + "'");
                    }
                }
            }
            return new Options(List.copyOf(ops), seconds);
        }
    }

    /** The samples of one operation, in nanoseconds. */
    static final class Samples {
        long[] v = new long[1024];
        int n;

        void add(long nanos) {
            if (n == v.length) {
                v = Arrays.copyOf(v, n * 2);
            }
            v[n++] = nanos;
        }

        boolean full() {
            return n >= MAX_SAMPLES;
        }

        /** The floor's line format (nearest-rank percentiles), plus p99. */
        String line(String op) {
            long[] s = Arrays.copyOf(v, n);
            Arrays.sort(s);
            return String.format(Locale.ROOT, "op=%s n=%d median_us=%.2f p90_us=%.2f p99_us=%.2f", op, n,
                    pct(s, 0.5), pct(s, 0.9), pct(s, 0.99));
        }

        static double pct(long[] sorted, double p) {
            if (sorted.length == 0) {
                return Double.NaN;
            }
            int k = (int) Math.ceil(p * sorted.length) - 1;
            k = Math.max(0, Math.min(sorted.length - 1, k));
            return sorted[k] / 1000.0;
        }
    }

    /** One run, on the bench thread. */
    static final class Run {
        final StubPlatform p;
        final double seconds;
        final BlockingQueue<String> out;
        final int getpid;

        Run(StubPlatform p, double seconds, BlockingQueue<String> out) {
            this.p = p;
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
                    case "pool_acquire": poolAcquire(s); break;
                    default: throw new IllegalArgumentException("unknown op " + op);
                }
                if (s.n > 0) {
                    out.add(s.line(op));
                }
            }
        }

        /** A time budget: warm-up first (not recorded), then {@code seconds} of samples. */
        final class Budget {
            private final long warmEnd;
            private final long end;

            Budget() {
                long now = System.nanoTime();
                long warm = (long) (Math.max(0.2, seconds * 0.1) * 1e9);
                warmEnd = now + warm;
                end = warmEnd + (long) (seconds * 1e9);
            }

            boolean warming() {
                return System.nanoTime() < warmEnd;
            }

            boolean more(Samples s) {
                return System.nanoTime() < end && !s.full();
            }
        }

        void record(Budget b, Samples s, long nanos) {
            if (!b.warming()) {
                s.add(nanos);
            }
        }

        void hostStub(Samples s) {
            Budget b = new Budget();
            while (b.more(s)) {
                long t0 = System.nanoTime();
                Stub stub = p.createStub();
                stub.close();
                record(b, s, System.nanoTime() - t0);
            }
        }

        void fork(Samples s) {
            Budget b = new Budget();
            while (b.more(s)) {
                long t0 = System.nanoTime();
                Subprocess sp = p.forkSubprocess();
                long d = System.nanoTime() - t0;
                sp.destroy();
                record(b, s, d);
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
            Budget b = new Budget();
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
                        record(b, s, d);
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
            Budget b = new Budget();
            while (b.more(s)) {
                Subprocess sp = p.forkSubprocess();
                try {
                    long t0 = System.nanoTime();
                    sp.registers();
                    record(b, s, System.nanoTime() - t0);
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
                Budget b = new Budget();
                while (b.more(s)) {
                    long t0 = System.nanoTime();
                    long r = sp.syscall(getpid);
                    long d = System.nanoTime() - t0;
                    if (r != pid) {
                        throw new IllegalStateException("inject: getpid in subprocess " + pid + " returned " + r);
                    }
                    record(b, s, d);
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

        void unmap(Samples s) {
            Subprocess sp = p.forkSubprocess();
            try {
                Budget b = new Budget();
                while (b.more(s)) {
                    sp.mapAnonymous(MEM_ADDRESS, MIB, Mman.PROT_READ | Mman.PROT_WRITE);
                    long t0 = System.nanoTime();
                    sp.unmap(MEM_ADDRESS, MIB);
                    record(b, s, System.nanoTime() - t0);
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
                Budget b = new Budget();
                while (b.more(s)) {
                    long t0 = System.nanoTime();
                    if (write) {
                        sp.write(MEM_ADDRESS, pattern, 0, size);
                    } else {
                        sp.read(MEM_ADDRESS, buf, 0, size);
                    }
                    record(b, s, System.nanoTime() - t0);
                }
                sp.read(MEM_ADDRESS, buf, 0, size);
                if (!Arrays.equals(buf, 0, size, pattern, 0, size)) {
                    throw new IllegalStateException("mem: the subprocess's memory does not hold what was written");
                }
            } finally {
                sp.destroy();
            }
        }

        /**
         * Acquisitions served by the pool; an acquisition of a pid that was not pooled before the
         * call was a fresh fork (a miss) and is counted, not recorded.
         */
        void poolAcquire(Samples s) throws InterruptedException {
            Set<Integer> before = pids();
            Subprocess probe = p.newSubprocess();
            boolean hit = before.contains(probe.pid());
            probe.destroy();
            // Without pre-forking nothing appears in the pool by itself.
            if (!hit && !awaitPool(before.size() + 1, 2_000)) {
                out.add("# pool_acquire: skipped: the platform's pool is not pre-forking (newSubprocess forked a fresh"
                        + " subprocess and none appeared in the pool within 2 s); configure prefork > 0"
                        + " (Settings.prefork, or the dev.tether.core configuration property prefork)");
                return;
            }
            // Acquire and destroy in a loop, as a user of the pool would; the pre-forker refills
            // the pool in the background (in batches: see SubprocessPool.refillAfterHit in core).
            awaitPool(p.subprocesses().size() + 1, 1_000);
            int misses = 0;
            Budget b = new Budget();
            while (b.more(s)) {
                Set<Integer> pooled = pids();
                long t0 = System.nanoTime();
                Subprocess sp = p.newSubprocess();
                long d = System.nanoTime() - t0;
                boolean fromPool = pooled.contains(sp.pid());
                sp.destroy();
                if (fromPool) {
                    record(b, s, d);
                } else if (!b.warming()) {
                    misses++;
                }
            }
            out.add("# pool_acquire: " + s.n + " acquisitions from the pool, " + misses
                    + " misses (the pool was empty: forked on the caller's path), not recorded");
        }

        private Set<Integer> pids() {
            Set<Integer> set = new HashSet<>();
            for (Subprocess sp : p.subprocesses()) {
                set.add(sp.pid());
            }
            return set;
        }

        /** Waits until the platform has {@code count} subprocesses (the pre-forker's refill). */
        private boolean awaitPool(int count, long millis) {
            long end = System.nanoTime() + millis * 1_000_000L;
            while (System.nanoTime() < end) {
                if (p.subprocesses().size() >= count) {
                    return true;
                }
                java.util.concurrent.locks.LockSupport.parkNanos(50_000);
            }
            return false;
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

    /**
     * A thread allocating short-lived garbage as fast as it can (plus a small churning live set,
     * so that collections have some copying to do), for the tail latency of injection under GC.
     */
    static final class Garbage {
        private volatile boolean stop;
        volatile long allocated;
        private final Thread thread;

        Garbage() {
            thread = new Thread(this::run, "tether-bench-garbage");
            thread.setDaemon(true);
            thread.start();
        }

        private void run() {
            Object[] live = new Object[4096];
            java.util.SplittableRandom r = new java.util.SplittableRandom(1);
            long bytes = 0;
            int i = 0;
            while (!stop) {
                byte[] b = new byte[64 + r.nextInt(4096)];
                b[0] = (byte) i;
                bytes += b.length;
                if ((i & 15) == 0) {
                    live[r.nextInt(live.length)] = b; // survives a while
                }
                if ((++i & 0xffff) == 0) {
                    allocated = bytes;
                }
            }
            allocated = bytes;
        }

        void stop() throws InterruptedException {
            stop = true;
            thread.join(TimeUnit.SECONDS.toMillis(10));
        }
    }
}
