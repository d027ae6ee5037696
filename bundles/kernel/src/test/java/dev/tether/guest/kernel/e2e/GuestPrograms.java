package dev.tether.guest.kernel.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The C programs of {@link MiniLinuxGuestContract}, and how they are built: with the host's gcc at test
 * time, or, where the test runs on a machine without a compiler (the arm64 guest of
 * {@code tools/arm64/arm64-check.sh}), taken from a directory the same programs were cross-compiled into
 * beforehand by {@link #main} (system property {@value #PREBUILT}). A prebuilt program is used only when
 * the source and flags kept beside it are exactly this class's, so a stale directory fails loudly
 * instead of testing another program.
 */
public final class GuestPrograms {
    /** System property: a directory holding prebuilt programs ({@code NAME}, {@code NAME.c}, {@code NAME.flags}). */
    public static final String PREBUILT = "tether.guest.prebuilt";

    /** One program: its name, C source, and gcc flags. */
    public record Program(String name, String source, List<String> flags) {
        public Program {
            flags = List.copyOf(flags);
        }
    }

    static final String HELLO = "#include <stdio.h>\nint main(void) { puts(\"hello from a guest\"); return 0; }\n";

    /** Calls socket(2), which MiniLinux does not offer, prints what it got, exits 3. */
    static final String DENIED = """
                #include <stdio.h>
                #include <errno.h>
                #include <string.h>
                #include <sys/socket.h>
                int main(void) {
                    int s = socket(AF_INET, SOCK_STREAM, 0);
                    printf("socket=%d %s\\n", s, strerror(errno));
                    return 3;
                }
                """;

    /** Opens argv[1], copies up to 256 bytes of it to stdout; exit 2 when it cannot open it. */
    static final String CAT = """
                #include <fcntl.h>
                #include <unistd.h>
                int main(int argc, char **argv) {
                    char b[256];
                    int fd = open(argv[1], O_RDONLY);
                    if (fd < 0) return 2;
                    int n = read(fd, b, sizeof b);
                    write(1, b, n);
                    return 0;
                }
                """;

    /** Holds 1234.5 in xmm7 / v7 across a raw getppid system call and prints what came back. */
    static final String FP = """
                #include <stdio.h>
                #include <sys/syscall.h>
                int main(void) {
                    double in = 1234.5, out = 0;
                #if defined(__x86_64__)
                    __asm__ volatile ("movsd %1, %%xmm7\\n\\tmov %2, %%eax\\n\\tsyscall\\n\\tmovsd %%xmm7, %0"
                        : "=m"(out) : "m"(in), "i"(SYS_getppid) : "rax", "rcx", "r11", "xmm7", "memory");
                #elif defined(__aarch64__)
                    __asm__ volatile ("fmov d7, %d1\\n\\tmov x8, %2\\n\\tsvc #0\\n\\tfmov %d0, d7"
                        : "=w"(out) : "w"(in), "i"(SYS_getppid) : "x0", "x8", "v7", "memory");
                #endif
                    printf("%.1f\\n", out);
                    return 0;
                }
                """;

    /** Spins for ever: only an interrupt ends it. */
    static final String SPIN = "int main(void) { for (volatile long i = 0;; i++) {} }\n";

    /** Loads from address 0: SIGSEGV. */
    static final String NULL_LOAD = "int main(void) { return *(volatile int *)0; }\n";

    static final Program HELLO_STATIC = new Program("hello", HELLO, List.of("-static"));
    static final Program HELLO_PIE = new Program("hello-pie", HELLO, List.of("-static-pie"));
    static final Program DENIED_STATIC = new Program("denied", DENIED, List.of("-static"));
    static final Program CAT_STATIC = new Program("cat", CAT, List.of("-static"));
    static final Program FP_STATIC = new Program("fp", FP, List.of("-static"));
    static final Program SPIN_STATIC = new Program("spin", SPIN, List.of("-static"));
    static final Program NULL_STATIC = new Program("null", NULL_LOAD, List.of("-static"));

    /** Every program the contract runs. */
    public static final List<Program> ALL = List.of(HELLO_STATIC, HELLO_PIE, DENIED_STATIC, CAT_STATIC, FP_STATIC,
            SPIN_STATIC, NULL_STATIC);

    private GuestPrograms() {
    }

    /**
     * {@code p} as an executable: prebuilt (when {@value #PREBUILT} is set) or compiled into {@code dir}
     * with the host's gcc.
     *
     * @throws IllegalStateException if the prebuilt directory lacks {@code p} or holds another source or flags
     */
    static Path get(Program p, Path dir) throws IOException, InterruptedException {
        return get(p, dir, System.getProperty(PREBUILT));
    }

    static Path get(Program p, Path dir, String prebuilt) throws IOException, InterruptedException {
        if (prebuilt == null || prebuilt.isEmpty()) {
            return compile("gcc", p, dir);
        }
        Path d = Path.of(prebuilt);
        Path exe = d.resolve(p.name());
        if (!Files.isRegularFile(exe) || !Files.isRegularFile(d.resolve(p.name() + ".c"))) {
            throw new IllegalStateException(PREBUILT + "=" + prebuilt + " has no prebuilt program " + p.name()
                    + " (build them with: java " + GuestPrograms.class.getName() + " DIR CC)");
        }
        Path flags = d.resolve(p.name() + ".flags");
        if (!Files.readString(d.resolve(p.name() + ".c")).equals(p.source())
                || !Files.isRegularFile(flags) || !Files.readString(flags).equals(String.join(" ", p.flags()))) {
            throw new IllegalStateException(PREBUILT + "=" + prebuilt + ": " + p.name()
                    + " was built from another source or other flags than the test's; rebuild the directory");
        }
        return exe;
    }

    /** Compiles {@code p} with {@code cc} into {@code dir}, keeping its source and flags beside it. */
    static Path compile(String cc, Program p, Path dir) throws IOException, InterruptedException {
        Path c = Files.writeString(dir.resolve(p.name() + ".c"), p.source());
        Files.writeString(dir.resolve(p.name() + ".flags"), String.join(" ", p.flags()));
        List<String> cmd = new ArrayList<>(List.of(cc, "-O1", "-o", dir.resolve(p.name()).toString()));
        cmd.addAll(p.flags());
        cmd.add(c.toString());
        Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = proc.waitFor();
        if (rc != 0) {
            throw new IOException(String.join(" ", cmd) + " exited " + rc + ": " + log);
        }
        return dir.resolve(p.name());
    }

    /**
     * Builds every program into a directory for {@value #PREBUILT}: {@code GuestPrograms DIR CC}, e.g.
     * {@code GuestPrograms target/guests aarch64-linux-gnu-gcc} (what arm64-check does on the host).
     */
    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: " + GuestPrograms.class.getName() + " DIR CC");
            System.exit(2);
        }
        Path dir = Files.createDirectories(Path.of(args[0]));
        for (Program p : ALL) {
            try {
                compile(args[1], p, dir);
            } catch (IOException e) {
                throw new UncheckedIOException("building " + p.name() + " with " + args[1], e);
            }
            System.out.println(dir.resolve(p.name()));
        }
    }
}
