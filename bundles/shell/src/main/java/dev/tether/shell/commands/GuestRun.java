package dev.tether.shell.commands;

import dev.tether.api.StubPlatform;
import dev.tether.guest.GuestPlatform;
import dev.tether.guest.kernel.GuestLoadException;
import dev.tether.guest.kernel.GuestRunner;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code tether:run} and the launcher's {@code tether run}: a static Linux program run as a guest
 * under MiniLinux on a GuestPlatform (ptrace unless {@code --platform} names another), its fds 0, 1, 2 on
 * the given streams.
 */
public final class GuestRun {
    /** Exit status when nothing could run (the reason on err); bad usage is 2, as the launcher's. */
    public static final int FAILED = 1;

    private GuestRun() {
    }

    /**
     * Runs the guest {@code a} describes; returns its exit status (a fatal signal: 128 + its
     * number), or {@value #FAILED} when nothing could run, with the reason on {@code err}.
     */
    public static int run(TetherConsole console, RunArguments a, InputStream in, PrintStream out, PrintStream err) {
        GuestPlatform g = console.guest(a.platform());
        StubPlatform s = console.platform().orElse(null);
        if (g == null || s == null) {
            err.println("tether run: " + console.noGuestPlatform(a.platform()) + " (`tether demo` shows the bundles)");
            return FAILED;
        }
        GuestKernel kernel;
        try {
            kernel = GuestKernel.of(g, console.tables(), console.abis());
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
