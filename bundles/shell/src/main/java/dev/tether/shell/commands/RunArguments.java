package dev.tether.shell.commands;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The arguments of {@code tether run}: {@code [--platform P] [--ro DIR]... [--trace] [--env K=V]... [--] PROGRAM [ARGS...]}.
 * Options end at the program (or {@code --}): what follows is the program's own.
 *
 * @param help whether {@code --help} / {@code -h} was asked for (nothing else is then set)
 */
public record RunArguments(boolean help, List<Path> readOnly, boolean trace, List<String> env, String platform, Path program,
        List<String> args) {
    public static final String USAGE = "tether run [--platform ptrace|trap] [--ro DIR]... [--trace] [--env K=V]... [--] PROGRAM [ARGS...]";
    /** The guest platform ({@code tether.platform}) when none is named. */
    public static final String DEFAULT_PLATFORM = "ptrace";
    public static final String HELP = USAGE + "\n"
            + "Runs PROGRAM, a static Linux executable for this host's arch, as a guest: every system call it makes\n"
            + "stops in Java and is emulated there (MiniLinux); none runs on the host. Its exit status is this\n"
            + "command's (a fatal signal: 128 + its number, with one line naming it).\n"
            + "  --ro DIR    let the guest read DIR (an absolute directory), at the same path; repeatable\n"
            + "  --trace     print each system call strace-style to stderr\n"
            + "  --env K=V   an environment variable of the guest; repeatable (default: none but PATH=/bin)\n"
            + "  --platform P  the guest platform: ptrace (default) or trap (docs/trap.md)\n"
            + "Not offered yet: threads, fork/execve, signals to the guest, sockets, pipes, writing files.";

    /**
     * The arguments as a shell with typed options (Karaf's) hands them over: {@code --ro} directories,
     * {@code --trace}, {@code --env} values, the program and its arguments; checked as {@link #parse} checks them.
     */
    public static RunArguments of(String platform, List<String> readOnly, boolean trace, List<String> env, String program,
            List<String> args) {
        List<Path> ro = new ArrayList<>();
        for (String d : readOnly) {
            ro.add(readOnlyDir(d));
        }
        List<String> vars = new ArrayList<>();
        for (String v : env) {
            vars.add(envVar(v));
        }
        return new RunArguments(false, List.copyOf(ro), trace, defaultEnv(vars), platform == null ? DEFAULT_PLATFORM : platformName(platform),
                program(program), List.copyOf(args));
    }

    /** Parses {@code argv}; a bad one is an {@link IllegalArgumentException} naming what was wrong. */
    public static RunArguments parse(List<String> argv) {
        List<Path> ro = new ArrayList<>();
        List<String> env = new ArrayList<>();
        boolean trace = false;
        String platform = DEFAULT_PLATFORM;
        int i = 0;
        while (i < argv.size()) {
            String a = argv.get(i);
            if (a.equals("--")) {
                i++;
                break;
            }
            if (a.equals("--help") || a.equals("-h")) {
                return new RunArguments(true, List.of(), false, List.of(), DEFAULT_PLATFORM, null, List.of());
            }
            if (a.equals("--trace")) {
                trace = true;
                i++;
            } else if (a.equals("--platform")) {
                if (i + 1 >= argv.size()) {
                    throw new IllegalArgumentException("--platform needs a guest platform's name (ptrace, trap)\nusage: " + USAGE);
                }
                platform = platformName(argv.get(i + 1));
                i += 2;
            } else if (a.equals("--ro") || a.equals("--env")) {
                if (i + 1 >= argv.size()) {
                    throw new IllegalArgumentException(a + " needs a value\nusage: " + USAGE);
                }
                String v = argv.get(i + 1);
                if (a.equals("--ro")) {
                    ro.add(readOnlyDir(v));
                } else {
                    env.add(envVar(v));
                }
                i += 2;
            } else if (a.startsWith("-") && a.length() > 1) {
                throw new IllegalArgumentException("unknown option " + a + " (options go before the program)\nusage: " + USAGE);
            } else {
                break;
            }
        }
        if (i >= argv.size()) {
            throw new IllegalArgumentException("no program to run\nusage: " + USAGE);
        }
        return new RunArguments(false, List.copyOf(ro), trace, defaultEnv(env), platform, program(argv.get(i)),
                List.copyOf(argv.subList(i + 1, argv.size())));
    }

    /** A guest platform's name as services carry it ({@code tether.platform}): lower-case letters and digits. */
    private static String platformName(String v) {
        if (!v.matches("[a-z0-9]+")) {
            throw new IllegalArgumentException("--platform " + v + ": not a guest platform's name (ptrace, trap)");
        }
        return v;
    }

    private static Path readOnlyDir(String v) {
        Path d = Path.of(v);
        if (!d.isAbsolute() || !Files.isDirectory(d)) {
            throw new IllegalArgumentException("--ro " + v + ": not an absolute path of a directory");
        }
        return d;
    }

    private static String envVar(String v) {
        if (v.indexOf('=') <= 0) {
            throw new IllegalArgumentException("--env " + v + ": expected K=V");
        }
        return v;
    }

    private static Path program(String path) {
        Path program = Path.of(path);
        if (!Files.isRegularFile(program)) {
            throw new IllegalArgumentException(program + ": no such file");
        }
        return program;
    }

    private static List<String> defaultEnv(List<String> env) {
        return env.isEmpty() ? List.of("PATH=/bin") : List.copyOf(env);
    }
}
