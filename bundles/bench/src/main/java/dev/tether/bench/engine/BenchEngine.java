package dev.tether.bench.engine;

import dev.tether.api.StubPlatform;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Times the platform's operations through the public API and prints one line per operation in
 * the native floor's format ({@code ../shared/bench/native-floor}), plus the 99th percentile:
 * {@code op=NAME n=N median_us=X p90_us=Y p99_us=Z}. Lines starting with {@code #} are metadata.
 *
 * <p>The measurements run on one dedicated, long-lived platform thread of this engine, never on
 * the caller's thread: a thread that traces stub threads must outlive every subprocess it traces
 * one in ({@code PTRACE_O_EXITKILL}: the kernel kills a tracee when its tracer exits, ptrace(2)),
 * and a shell session's thread may end at any time. Every subprocess a run uses is destroyed
 * before the run returns, so the bench thread traces nothing between runs.
 */
public final class BenchEngine implements AutoCloseable {
    /** Every operation, in the order they run, with what its timed region is. */
    public static final Map<String, String> OPS = ops();
    /**
     * Ops named only when asked for (not in the default run, no JMH twin): {@code switch}, the guest
     * system call round trip of {@code guest_syscall} on the guest platform {@code --platform} names
     * (ptrace: compare the guest floor's ptrace_sysemu; trap: its systrap_spin).
     */
    public static final Map<String, String> ALIASES = Map.of("switch",
            "guest_syscall on the guest platform --platform names (ptrace: compare ptrace_sysemu; trap: systrap_spin)");
    /** Default seconds of measurement per operation (the floor's default too). */
    public static final double DEFAULT_SECONDS = 2.0;

    private static final String END = new String("end of run"); // identity marker

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
        m.put("guest_syscall", "GuestContext.switchTo(): guest code runs to its next system call, which stops in Java"
                + " (PTRACE_SYSEMU), and Java answers it; lazy FP state (compare: the guest floor's ptrace_sysemu)");
        m.put("guest_syscall_fp", "guest_syscall with the FP/vector state read at every stop (compare: ptrace_sysemu_fpget)");
        return java.util.Collections.unmodifiableMap(m);
    }

    /** The usage line and the ops, as {@code tether:bench --list} prints them. */
    public static String usage() {
        StringBuilder sb = new StringBuilder("tether:bench [--ops a,b,...] [--seconds N] [--platform ptrace|trap]   (N seconds of samples per op, default "
                + DEFAULT_SECONDS + ")");
        OPS.forEach((k, v) -> sb.append(String.format("%n  %-14s %s", k, v)));
        ALIASES.forEach((k, v) -> sb.append(String.format("%n  %-14s %s", k, v)));
        return sb.toString();
    }

    /**
     * Runs the operations on this engine's bench thread and prints their lines to {@code out}
     * from the calling thread as each operation finishes.
     */
    public void run(StubPlatform p, List<String> ops, double seconds, PrintStream out) throws Exception {
        run(p, null, ops, seconds, out);
    }

    /** {@link #run(StubPlatform, List, double, PrintStream)} with a guest platform for the switch ops (null: none). */
    public void run(StubPlatform p, GuestBench guest, List<String> ops, double seconds, PrintStream out) throws Exception {
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Future<?> done = runner().submit(() -> {
            try {
                new BenchRun(p, guest, seconds, lines).all(ops);
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
            // One core thread that never times out: it lives as long as this engine.
            runner = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "tether-bench");
                t.setDaemon(true);
                return t;
            });
        }
        return runner;
    }

    /** Ends the bench thread (it traces nothing between runs). */
    @Override
    public synchronized void close() {
        if (runner != null) {
            runner.shutdown();
            runner = null;
        }
    }
}
