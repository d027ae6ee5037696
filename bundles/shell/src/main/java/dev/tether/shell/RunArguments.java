package dev.tether.shell;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The arguments of {@code tether run}: {@code [--ro DIR]... [--trace] [--env K=V]... [--] PROGRAM [ARGS...]}.
 * Options end at the program (or {@code --}): what follows is the program's own.
 *
 * @param help whether {@code --help} / {@code -h} was asked for (nothing else is then set)
 */
record RunArguments(boolean help, List<Path> readOnly, boolean trace, List<String> env, String platform, Path program,
        List<String> args) {
    static final String USAGE = "tether run [--platform ptrace|trap] [--ro DIR]... [--trace] [--env K=V]... [--] PROGRAM [ARGS...]";
    /** The guest platform when none is named. */
    static final String DEFAULT_PLATFORM = "ptrace";
    static final String HELP = USAGE + "\n"
            + "Runs PROGRAM, a static Linux executable for this host's arch, as a guest: every system call it makes\n"
            + "stops in Java and is emulated there (MiniLinux); none runs on the host. Its exit status is this\n"
            + "command's (a fatal signal: 128 + its number, with one line naming it).\n"
            + "  --ro DIR    let the guest read DIR (an absolute directory), at the same path; repeatable\n"
            + "  --trace     print each system call strace-style to stderr\n"
            + "  --env K=V   an environment variable of the guest; repeatable (default: none but PATH=/bin)\n"
            + "  --platform P  the guest platform: ptrace (default) or trap (docs/trap.md)\n"
            + "Not offered yet: threads, fork/execve, signals to the guest, sockets, pipes, writing files.";

    /** Parses {@code argv}; a bad one is an {@link IllegalArgumentException} naming what was wrong. */
    static RunArguments parse(List<String> argv) {
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
                if (i + 1 >= argv.size() || !argv.get(i + 1).matches("[a-z0-9]+")) {
                    throw new IllegalArgumentException("--platform needs a guest platform's name (ptrace, trap)\nusage: " + USAGE);
                }
                platform = argv.get(i + 1);
                i += 2;
            } else if (a.equals("--ro") || a.equals("--env")) {
                if (i + 1 >= argv.size()) {
                    throw new IllegalArgumentException(a + " needs a value\nusage: " + USAGE);
                }
                String v = argv.get(i + 1);
                if (a.equals("--ro")) {
                    Path d = Path.of(v);
                    if (!d.isAbsolute() || !Files.isDirectory(d)) {
                        throw new IllegalArgumentException("--ro " + v + ": not an absolute path of a directory");
                    }
                    ro.add(d);
                } else {
                    if (v.indexOf('=') <= 0) {
                        throw new IllegalArgumentException("--env " + v + ": expected K=V");
                    }
                    env.add(v);
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
        Path program = Path.of(argv.get(i));
        if (!Files.isRegularFile(program)) {
            throw new IllegalArgumentException(program + ": no such file");
        }
        if (env.isEmpty()) {
            env.add("PATH=/bin");
        }
        return new RunArguments(false, List.copyOf(ro), trace, List.copyOf(env), platform, program, List.copyOf(argv.subList(i + 1, argv.size())));
    }
}
