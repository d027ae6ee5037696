package dev.tether.bench;

import dev.tether.bench.engine.BenchEngine;
import dev.tether.bench.engine.BenchOptions;
import dev.tether.core.StubPlatformImpl;
import java.util.ArrayList;
import java.util.List;

/**
 * The ops of {@code tether bench} (the same engine, {@link BenchEngine}, same output) run
 * against a platform built directly on a flat class path, without Felix, with pre-forking on:
 * {@code java -cp tether-bench.jar dev.tether.bench.FlatBench [--ops a,b] [--seconds N]}.
 */
public final class FlatBench {
    private FlatBench() {
    }

    public static void main(String[] args) throws Exception {
        List<String> rest = new ArrayList<>(List.of(args));
        try (BenchEngine bench = new BenchEngine(); StubPlatformImpl p = Platforms.create()) {
            BenchOptions o = BenchOptions.parse(rest.toArray(new String[0]));
            bench.run(p, Platforms.guestBench(p), o.ops(), o.seconds(), System.out);
        }
    }
}
