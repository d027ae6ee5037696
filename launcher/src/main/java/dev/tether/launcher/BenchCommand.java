package dev.tether.launcher;

import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code tether bench}: boots the embedded Felix with every bundle, configures the platform's pool
 * to pre-fork (Config Admin, PID {@value CoreConfig#CORE_PID}: only this run's framework, whose cache is
 * cleaned at start), runs the Gogo command {@code tether:bench} and stops the framework. The
 * output is the native floor's line format plus p99; see README.md, "Performance".
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Time Tether's stub operations, one line per op:",
            "  op=NAME n=N median_us=X p90_us=Y p99_us=Z",
            "Boots Felix with all bundles, makes the stub platform pre-fork (Config Admin,",
            "PID dev.tether.core), runs the Gogo command tether:bench and stops Felix.",
            "Compare with the C floor run beside it: ../shared/bench/native-floor/run",
            "(see README.md, \"Performance\").",
            "Ops: host_stub, fork, new_thread, new_thread_sync, inject, inject_alloc,",
            "unmap, mem_read_4k, mem_write_4k, mem_read_1m, mem_write_1m, pool_acquire, guest_syscall, guest_syscall_fp,",
            "switch (the guest syscall round trip on --platform ptrace|trap)."})
final class BenchCommand implements Callable<Integer> {
    /** What may appear in --ops: op names and commas, nothing Gogo would interpret. */
    private static final Pattern OPS = Pattern.compile("[a-z0-9_]+(,[a-z0-9_]+)*");

    @ParentCommand
    Invocation root;

    @Option(names = "--ops", paramLabel = "OP[,OP...]", description = "The operations to time (default: all).")
    String ops;

    @Option(names = "--seconds", paramLabel = "N", description = "Seconds of samples per operation (default: 2).")
    Double seconds;

    @Option(names = "--prefork", paramLabel = "N", defaultValue = "4",
            description = "Subprocesses the platform pre-forks, for pool_acquire (default: ${DEFAULT-VALUE}; 0: leave"
                    + " the platform's configuration alone).")
    int prefork;

    @Option(names = "--cpuid-faulting", paramLabel = "true|false", arity = "1",
            description = "Turn CPUID faulting in stubs on or off for this run (default: the platform's default, on where"
                    + " the CPU has it, as the native floor's stubs; off for the guest_syscall ops against the guest floor).")
    Boolean cpuidFaulting;

    @Option(names = "--platform", paramLabel = "ptrace|trap",
            description = "The guest platform of the guest ops (guest_syscall, switch): ptrace (default) or trap (docs/trap.md).")
    String platform;

    @Override
    public Integer call() throws Exception {
        StringBuilder cmd = new StringBuilder("tether:bench");
        if (ops != null) {
            String o = ops.replace(" ", "");
            if (!OPS.matcher(o).matches()) {
                throw new CliException(ExitCode.USAGE, "--ops takes op names separated by commas, got '" + ops + "'");
            }
            cmd.append(" --ops ").append(o);
        }
        if (seconds != null) {
            if (!(seconds > 0 && seconds <= 3600)) {
                throw new CliException(ExitCode.USAGE, "--seconds must be in (0, 3600], got " + seconds);
            }
            cmd.append(" --seconds ").append(String.format(Locale.ROOT, "%s", seconds));
        }
        if (platform != null) {
            if (!platform.matches("[a-z0-9]+")) {
                throw new CliException(ExitCode.USAGE, "--platform takes a guest platform's name (ptrace, trap), got '" + platform + "'");
            }
            cmd.append(" --platform ").append(platform);
        }
        if (prefork < 0 || prefork > 64) {
            throw new CliException(ExitCode.USAGE, "--prefork must be 0..64, got " + prefork);
        }
        try (EmbeddedFelix felix = EmbeddedFelix.boot(root.runtimeHome(), false)) {
            if (!felix.awaitCommand("tether", "bench", 5_000)) {
                throw CliException.failed("the Gogo command tether:bench is not registered (is the dev.tether.shell bundle"
                        + " active? `tether demo` shows the bundles)");
            }
            if (prefork > 0) {
                configurePool(felix, prefork);
            }
            if (cpuidFaulting != null) {
                CoreConfig.apply(felix, java.util.Map.of("cpuidFaulting", cpuidFaulting), root.err(), "tether bench");
            }
            felix.gogo(cmd.toString(), root.out(), root.err());
        }
        return ExitCode.OK;
    }

    /**
     * Sets poolSize and prefork of the platform's configuration and waits until the StubPlatform
     * service shows them. Without Config Admin the bench runs anyway; its pool_acquire line then says
     * the pool is not pre-forking.
     */
    private void configurePool(EmbeddedFelix felix, int n) throws Exception {
        CoreConfig.apply(felix, java.util.Map.of("poolSize", Math.max(16, n), "prefork", n), root.err(), "tether bench");
    }
}
