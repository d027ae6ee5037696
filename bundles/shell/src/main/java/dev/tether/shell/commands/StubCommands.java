package dev.tether.shell.commands;

import dev.tether.abi.Errno;
import dev.tether.api.Registers;
import dev.tether.api.StubPlatform;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code tether:spawn}, {@code inject}, {@code regs}, {@code kill}: make a stub or subprocess,
 * inject a system call into it, show its registers, end it. Ids are pids.
 */
public final class StubCommands {
    /** A system call takes at most six arguments (syscall(2)). */
    public static final int MAX_ARGS = 6;
    /** -4095..-1 is an errno: the kernel's MAX_ERRNO (include/linux/err.h). */
    private static final long MAX_ERRNO = 4095;

    private StubCommands() {
    }

    /** Makes a stub or subprocess and prints its pid (alone on its line, for scripts); returns it. */
    public static int spawn(TetherConsole console, Handles.Kind kind, PrintStream out) {
        int pid = console.handles().spawn(console.requirePlatform(), kind);
        out.println(pid);
        return pid;
    }

    /**
     * Injects {@code syscall} (a name, or a number) with {@code args} (each decimal, or 0x hex)
     * into the stub or subprocess {@code id}, and prints the call and its result, with the errno
     * name of an error: {@code munmap(0x1001, 4096) = -22 (EINVAL)}.
     */
    public static void inject(TetherConsole console, int id, String syscall, List<String> args, PrintStream out) {
        Handles.Made m = console.handles().get(id, "tether:inject");
        int nr = syscallNumber(m.platform(), syscall);
        if (args.size() > MAX_ARGS) {
            throw new IllegalArgumentException("tether:inject: a syscall takes at most " + MAX_ARGS + " arguments, got "
                    + args.size());
        }
        long[] a = new long[args.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = number("argument " + (i + 1), args.get(i));
        }
        long r = console.handles().syscall(m, nr, a);
        StringBuilder call = new StringBuilder(name(console, m.platform(), nr)).append('(');
        for (int i = 0; i < a.length; i++) {
            call.append(i == 0 ? "" : ", ").append(args.get(i).trim());
        }
        call.append(") = ").append(r);
        if (r < 0 && r >= -MAX_ERRNO) {
            call.append(" (").append(Errno.name((int) -r)).append(')');
        }
        out.println(call);
    }

    /** Prints the registers of stub {@code id}, or of the console's stub thread in subprocess {@code id}. */
    public static void regs(TetherConsole console, int id, PrintStream out) {
        Handles.Made m = console.handles().get(id, "tether:regs");
        Registers r = console.handles().registers(m);
        out.println(m.kind() + " " + id + " (" + r.arch() + ")");
        out.println(r.toString().stripTrailing());
    }

    /** Kills and reaps stub or subprocess {@code id}, and says so. */
    public static void kill(TetherConsole console, int id, PrintStream out) {
        Handles.Made m = console.handles().get(id, "tether:kill");
        // found dead by the platform before any command used it: say how it ended, not "killed"
        String death = m.alive() ? null : m.handle().death();
        console.handles().kill(id, m);
        boolean gone = !Files.exists(Path.of("/proc/" + id));
        String what = death == null ? "killed " + m.kind() + " " + id
                : m.kind() + " " + id + " had already ended (" + death.lines().findFirst().orElse("") + "); forgotten";
        out.println(what + (gone ? "" : " (its pid is still in /proc: reused, or not reaped yet)"));
    }

    /**
     * The number of {@code syscall}: a decimal number, or a name of the platform's syscall table.
     *
     * @throws IllegalArgumentException naming an unknown name or a number out of range
     */
    static int syscallNumber(StubPlatform p, String syscall) {
        String s = syscall.trim();
        if (!s.isEmpty() && (Character.isDigit(s.charAt(0)) || s.startsWith("-"))) {
            long nr = number("syscall number", s);
            if (nr < 0 || nr > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("tether:inject: syscall number " + s + " is out of range");
            }
            return (int) nr;
        }
        try {
            return p.syscallNumber(s);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("tether:inject: " + e.getMessage(), e);
        }
    }

    private static String name(TetherConsole console, StubPlatform p, int nr) {
        try {
            return console.table(p).name(nr).orElse("syscall " + nr);
        } catch (IllegalStateException e) {
            return "syscall " + nr;
        }
    }

    /** A decimal (possibly negative) or 0x-hex (up to 64 bits) number. */
    static long number(String what, String text) {
        String t = text.trim();
        try {
            if (t.startsWith("0x") || t.startsWith("0X")) {
                return Long.parseUnsignedLong(t.substring(2), 16);
            }
            return Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("tether:inject: " + what + " \"" + text + "\" is not a number"
                    + " (decimal, or 0x hex)");
        }
    }
}
