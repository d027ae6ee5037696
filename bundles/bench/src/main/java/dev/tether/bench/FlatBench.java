package dev.tether.bench;

import dev.tether.core.StubPlatformImpl;
import dev.tether.shell.BenchCommand;
import java.util.ArrayList;
import java.util.List;

/**
 * The ops of {@code tether bench} (the shell's {@link BenchCommand}, same code, same output) run
 * against a platform built directly on a flat class path, without Felix, with pre-forking on:
 * {@code java -cp tether-bench.jar dev.tether.bench.FlatBench [--ops a,b] [--seconds N]}.
 */
public final class FlatBench {
    private FlatBench() {
    }

    public static void main(String[] args) throws Exception {
        List<String> rest = new ArrayList<>(List.of(args));
        BenchCommand bench = new BenchCommand();
        try (StubPlatformImpl p = Platforms.create()) {
            BenchCommand.Options o = BenchCommand.Options.parse(rest.toArray(new String[0]));
            bench.run(p, o.ops(), o.seconds(), System.out);
        } finally {
            bench.close();
        }
    }
}
