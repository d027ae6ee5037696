/**
 * The benchmark engine of {@code tether:bench} and {@code FlatBench}: times the stub platform's
 * operations through the public API ({@code dev.tether.api}) and prints one line per operation in
 * the native floor's format. It knows no OSGi: the shell's {@code tether:bench} command is a thin
 * adapter over {@link dev.tether.bench.engine.BenchEngine}, and the flat-class-path runner uses the
 * same engine.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package dev.tether.bench.engine;
