package dev.tether.bench;

import dev.tether.bench.engine.BenchEngine;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;
import org.openjdk.jmh.util.Statistics;

/**
 * Runs {@link StubBenchmarks} with JMH and prints one line per op in the native floor's format
 * plus p99 ({@code op=NAME n=N median_us=X p90_us=Y p99_us=Z}):
 * {@code java -jar tether-bench.jar [--ops a,b] [--seconds N] [--forks N] [--jvm-args "..."]}.
 * {@code --jmh ARGS...} hands everything after it to JMH's own command line instead.
 */
public final class JmhBench {
    /** The JMH ops: tether bench's (inject_alloc and new_thread_sync included). */
    static final List<String> OPS = List.of("host_stub", "fork", "new_thread", "new_thread_sync", "inject", "inject_alloc",
            "unmap", "mem_read_4k", "mem_write_4k", "mem_read_1m", "mem_write_1m", "pool_acquire", "guest_syscall", "guest_syscall_fp");

    private JmhBench() {
    }

    public static void main(String[] args) throws Exception {
        List<String> ops = new ArrayList<>(OPS);
        double seconds = BenchEngine.DEFAULT_SECONDS;
        int forks = 1;
        String jvmArgs = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--jmh":
                    org.openjdk.jmh.Main.main(java.util.Arrays.copyOfRange(args, i + 1, args.length));
                    return;
                case "--ops":
                    ops = new ArrayList<>();
                    for (String op : value(args, ++i).split(",")) {
                        if (!OPS.contains(op.trim())) {
                            throw new IllegalArgumentException("unknown op '" + op + "'; the JMH ops are " + OPS);
                        }
                        ops.add(op.trim());
                    }
                    break;
                case "--seconds":
                    seconds = Double.parseDouble(value(args, ++i));
                    if (!(seconds > 0)) {
                        throw new IllegalArgumentException("--seconds must be positive");
                    }
                    break;
                case "--forks":
                    forks = Integer.parseInt(value(args, ++i));
                    break;
                case "--jvm-args":
                    jvmArgs = value(args, ++i);
                    break;
                default:
                    throw new IllegalArgumentException("unknown argument '" + args[i]
                            + "' (usage: [--ops a,b] [--seconds N] [--forks N] [--jvm-args \"...\"] | --jmh JMH-ARGS...)");
            }
        }
        ChainedOptionsBuilder o = new OptionsBuilder()
                .include(StubBenchmarks.class.getName() + "\\.(" + String.join("|", ops) + ")$")
                .forks(forks)
                .measurementIterations(1)
                .measurementTime(TimeValue.milliseconds((long) (seconds * 1000)))
                .warmupIterations(1)
                .warmupTime(TimeValue.milliseconds((long) Math.max(500, seconds * 500)))
                .timeUnit(TimeUnit.MICROSECONDS)
                .verbosity(VerboseMode.SILENT);
        if (jvmArgs != null) {
            o.jvmArgsAppend(jvmArgs.trim().split("\\s+"));
        }
        Collection<RunResult> results = new Runner(o.build()).run();
        System.out.println("# tether JMH (StubBenchmarks, SampleTime) forks=" + forks + " secs_per_op=" + seconds);
        for (String op : ops) {
            for (RunResult r : results) {
                String name = r.getParams().getBenchmark();
                if (name.endsWith("." + op)) {
                    Statistics s = r.getPrimaryResult().getStatistics();
                    System.out.println(String.format(Locale.ROOT, "op=%s n=%d median_us=%.2f p90_us=%.2f p99_us=%.2f",
                            op, s.getN(), s.getPercentile(50), s.getPercentile(90), s.getPercentile(99)));
                }
            }
        }
    }

    private static String value(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException(args[i - 1] + " needs a value");
        }
        return args[i];
    }
}
