package dev.tether.guest.kernel.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.guest.GuestPlatform;
import dev.tether.guest.kernel.GuestRunner;
import dev.tether.guest.kernel.spi.LinuxAbi;
import dev.tether.seccomp.SyscallTable;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end: real static programs run under MiniLinux on a real {@link GuestPlatform}, written once
 * against the interface, so that every platform runs the same guests. A platform's test extends this
 * class and says how to get its platform in {@link #wire()}; {@link MiniLinuxGuestTest} is the one this
 * bundle runs in its {@code guest-e2e} profile. Guests: programs built with gcc at test time and
 * Debian's busybox-static, compared with the same commands run natively.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class MiniLinuxGuestContract {

    /** What a platform's test provides: the platform and the facts MiniLinux needs beside it. */
    public interface Wiring extends AutoCloseable {
        GuestPlatform platform();

        SyscallTable table();

        LinuxAbi abi();

        /** The lowest address guests may not use (the stub page). */
        long limit();

        int pageSize();

        @Override
        void close();
    }

    /** The platform under test, opened once per class and closed after it. */
    protected abstract Wiring wire() throws Exception;

    @TempDir
    Path dir;
    private Wiring wiring;
    private GuestRunner runner;

    @BeforeAll
    void open() throws Exception {
        wiring = wire();
        runner = new GuestRunner(wiring.platform(), wiring.table(), wiring.abi(), wiring.limit(), wiring.pageSize());
    }

    @AfterAll
    void close() {
        if (wiring != null) {
            wiring.close();
        }
    }

    /** One run: status, stdout, stderr, trace and the unknown syscalls. */
    protected record Run(int status, String out, String err, String trace, Map<String, Integer> unknown) {
    }

    protected Run run(Path program, List<String> args, List<Path> ro, boolean trace) {
        return run(program, args, ro, trace, null);
    }

    protected Run run(Path program, List<String> args, List<Path> ro, boolean trace,
            java.util.function.Consumer<dev.tether.guest.GuestContext> started) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ByteArrayOutputStream tr = new ByteArrayOutputStream();
        List<String> argv = new ArrayList<>();
        argv.add(program.getFileName().toString());
        argv.addAll(args);
        GuestRunner.Outcome o = runner.run(new GuestRunner.Options(program, argv, List.of("PATH=/bin", "LANG=C"), ro,
                new ByteArrayInputStream(new byte[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                trace ? new PrintStream(tr, true, StandardCharsets.UTF_8) : null), started);
        return new Run(o.status(), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8),
                tr.toString(StandardCharsets.UTF_8), o.unknownSyscalls());
    }

    protected Path gcc(String name, String source, String... flags) throws IOException, InterruptedException {
        Path c = Files.writeString(dir.resolve(name + ".c"), source);
        List<String> cmd = new ArrayList<>(List.of("gcc", "-O1", "-o", dir.resolve(name).toString()));
        cmd.addAll(List.of(flags));
        cmd.add(c.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), log);
        return dir.resolve(name);
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

    @Test
    void helloGlibcStatic() throws Exception {
        Run r = run(gcc("hello", HELLO, "-static"), List.of(), List.of(), true);
        assertEquals(0, r.status(), r.err());
        assertEquals("hello from a guest\n", r.out());
        assertTrue(r.trace().contains("write(1, \"hello from a guest\\n\", 19) = 19"), r.trace());
        assertTrue(r.trace().endsWith("+++ exited with 0 +++\n"), r.trace());
    }

    @Test
    void helloStaticPie() throws Exception {
        Run r = run(gcc("hello-pie", HELLO, "-static-pie"), List.of(), List.of(), false);
        assertEquals(0, r.status(), r.err());
        assertEquals("hello from a guest\n", r.out());
    }

    @Test
    void exitStatusAndADeniedSyscall() throws Exception {
        Path p = gcc("denied", DENIED, "-static");
        Run r = run(p, List.of(), List.of(), false);
        assertEquals(3, r.status());
        assertEquals("socket=-1 Function not implemented\n", r.out());
        assertEquals(1, r.unknown().get("socket"));
    }

    @Test
    void aNullLoadIsSigsegvWithOneLine() throws Exception {
        Path p = gcc("null", NULL_LOAD, "-static");
        Run r = run(p, List.of(), List.of(), false);
        assertEquals(139, r.status());
        assertTrue(r.err().startsWith("tether: guest killed by SIGSEGV") && r.err().contains("address 0x0"), r.err());
    }

    @Test
    void readsAGrantedFileAndNothingElse() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.writeString(data.resolve("f.txt"), "granted\n");
        Path p = gcc("cat", CAT, "-static");
        assertEquals("granted\n", run(p, List.of(data + "/f.txt"), List.of(data), false).out());
        assertEquals(2, run(p, List.of("/etc/passwd"), List.of(data), false).status());
        assertEquals(2, run(p, List.of(data + "/../cat.c"), List.of(data), false).status());
    }

    @Test
    void aSpinningGuestEndsOnInterrupt() throws Exception {
        Path p = gcc("spin", SPIN, "-static");
        Thread[] interrupter = new Thread[1];
        Run r = run(p, List.of(), List.of(), false, ctx -> {
            interrupter[0] = new Thread(() -> {
                try {
                    Thread.sleep(300);
                } catch (InterruptedException e) {
                    return;
                }
                ctx.interrupt();
            });
            interrupter[0].start();
        });
        interrupter[0].join();
        assertEquals(130, r.status());
        assertTrue(r.err().startsWith("tether: guest interrupted"), r.err());
    }

    /** A value held in a vector register (xmm7 / v7) across a trapped system call comes back unchanged. */
    @Test
    void floatingPointValuesSurviveSystemCalls() throws Exception {
        Path p = gcc("fp", FP, "-static");
        Run r = run(p, List.of(), List.of(), false);
        assertEquals("1234.5\n", r.out());
    }

    // --- Debian's busybox-static, compared with the same command run natively

    private String nativeRun(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out + "|" + p.exitValue();
    }

    private void sameAsNative(Path data, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("/bin/busybox"));
        cmd.addAll(List.of(args));
        Run r = run(Path.of("/bin/busybox"), List.of(args), List.of(data), false);
        assertEquals(nativeRun(cmd), r.out() + "|" + r.status(), "busybox " + String.join(" ", args) + ": " + r.err());
    }

    @Test
    void busyboxMatchesNative() throws Exception {
        Path data = Files.createDirectories(dir.resolve("bb"));
        Files.writeString(data.resolve("a.txt"), "one\ntwo\nthree\nfour\n");
        Files.write(data.resolve("b.bin"), new byte[70000]);
        sameAsNative(data, "echo", "hello", "world");
        sameAsNative(data, "cat", data + "/a.txt");
        sameAsNative(data, "wc", data + "/a.txt");
        sameAsNative(data, "head", "-n", "2", data + "/a.txt");
        sameAsNative(data, "ls", data.toString());
        sameAsNative(data, "sha256sum", data + "/b.bin");
        sameAsNative(data, "true");
        sameAsNative(data, "false");
        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(data.resolve("b.bin"))));
        assertTrue(run(Path.of("/bin/busybox"), List.of("sha256sum", data + "/b.bin"), List.of(data), false).out()
                .startsWith(expected));
    }
}
