package dev.tether.shell;

import dev.tether.api.StubPlatform;
import dev.tether.guest.GuestPlatform;
import dev.tether.guest.kernel.GuestLoadException;
import dev.tether.guest.kernel.GuestRunner;
import dev.tether.guest.kernel.spi.LinuxAbi;
import dev.tether.seccomp.SyscallTable;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * {@code tether:run} (Gogo) and the engine of the launcher's {@code tether run}: a static Linux program
 * run as a guest under MiniLinux on a GuestPlatform (ptrace, or the one {@code --platform} names). The launcher calls {@link #main} by
 * reflection (JDK types only: it shares no class with the framework).
 */
@Component(service = RunCommand.class, immediate = true, property = {"osgi.command.scope=tether", "osgi.command.function=run"})
public final class RunCommand {
    /** Exit status for bad usage (as the launcher's). */
    static final int USAGE = 2;
    static final int FAILED = 1;

    /** Every guest platform; --platform picks one by mechanism (ptrace by default). */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private final List<GuestPlatform> guests = new CopyOnWriteArrayList<>();
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile StubPlatform stubs;
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private final List<SyscallTable> tables = new CopyOnWriteArrayList<>();
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private final List<LinuxAbi> abis = new CopyOnWriteArrayList<>();

    public RunCommand() {
    }

    @Descriptor("run a static Linux program as a guest (every system call emulated in Java): "
            + "[--ro DIR]... [--trace] [--env K=V]... [--] PROGRAM [ARGS...]")
    public int run(@Descriptor("options, the program and its arguments") String... args) {
        return main(List.of(args), System.in, System.out, System.err);
    }

    /**
     * Runs {@code args} ({@link RunArguments}) with the guest's fds 0, 1, 2 on {@code in}, {@code out},
     * {@code err}; returns the guest's exit status, {@value #USAGE} for bad usage or {@value #FAILED} when
     * nothing could run (the reason on {@code err}).
     */
    public int main(List<String> args, InputStream in, PrintStream out, PrintStream err) {
        RunArguments a;
        try {
            a = RunArguments.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("tether run: " + e.getMessage());
            return USAGE;
        }
        if (a.help()) {
            out.println(RunArguments.HELP);
            return 0;
        }
        GuestPlatform g = guests.stream().filter(x -> x.mechanism().equals(a.platform())).findFirst().orElse(null);
        StubPlatform s = stubs;
        if (g == null || s == null) {
            err.println("tether run: no " + a.platform() + " GuestPlatform service: "
                    + (a.platform().equals(RunArguments.DEFAULT_PLATFORM) ? "no arch bundle for this host is active"
                            : "the trap platform needs the dev.tether.trap bundle and an arch with a trap handler (amd64)")
                    + " (`tether demo` shows the bundles)");
            return FAILED;
        }
        GuestKernel kernel;
        try {
            kernel = GuestKernel.of(g, tables, abis);
        } catch (IllegalStateException e) {
            err.println("tether run: " + e.getMessage());
            return FAILED;
        }
        List<String> argv = new ArrayList<>();
        argv.add(a.program().toString());
        argv.addAll(a.args());
        GuestRunner runner = kernel.runner(s.facts());
        try {
            GuestRunner.Outcome o = runner.run(new GuestRunner.Options(a.program(), argv, a.env(), a.readOnly(), in, out, err,
                    a.trace() ? err : null));
            out.flush();
            if (a.trace() && !o.unknownSyscalls().isEmpty()) {
                err.println("tether run: system calls MiniLinux does not offer (ENOSYS): " + summary(o.unknownSyscalls()));
            }
            return o.status();
        } catch (GuestLoadException e) {
            err.println("tether run: " + e.getMessage());
            return FAILED;
        }
    }

    private static String summary(Map<String, Integer> unknown) {
        StringBuilder b = new StringBuilder();
        unknown.forEach((k, v) -> b.append(b.length() == 0 ? "" : ", ").append(k).append(" x").append(v));
        return b.toString();
    }
}
