package dev.tether.guest.kernel.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.guest.GuestPlatform;
import dev.tether.guest.kernel.ElfFile;
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

        /** A wiring of these values; {@code close} ends what the platform needs (it runs once, at the class's end). */
        static Wiring of(GuestPlatform platform, SyscallTable table, LinuxAbi abi, long limit, int pageSize, Runnable close) {
            return new Wiring() {
                @Override
                public GuestPlatform platform() {
                    return platform;
                }

                @Override
                public SyscallTable table() {
                    return table;
                }

                @Override
                public LinuxAbi abi() {
                    return abi;
                }

                @Override
                public long limit() {
                    return limit;
                }

                @Override
                public int pageSize() {
                    return pageSize;
                }

                @Override
                public void close() {
                    close.run();
                }
            };
        }
    }

    /** The platform under test, opened once per class and closed after it. */
    protected abstract Wiring wire() throws Exception;

    @TempDir
    Path dir;
    private Wiring wiring;
    private GuestRunner runner;

    private long openedAt;

    @BeforeAll
    void open() throws Exception {
        openedAt = System.nanoTime();
        wiring = wire();
        runner = new GuestRunner(wiring.platform(), wiring.table(), wiring.abi(), wiring.limit(), wiring.pageSize());
    }

    @AfterAll
    void close() {
        if (wiring != null) {
            wiring.close();
        }
        // arm64-check prints this line: the contract's share of the emulated guest's time budget
        System.out.printf("%s: the MiniLinux contract took %.1f s%n", getClass().getSimpleName(), (System.nanoTime() - openedAt) / 1e9);
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

    /** {@code p}, built for this machine (see {@link GuestPrograms#get}). */
    protected Path program(GuestPrograms.Program p) throws IOException, InterruptedException {
        return GuestPrograms.get(p, dir);
    }

    @Test
    void helloGlibcStatic() throws Exception {
        Run r = run(program(GuestPrograms.HELLO_STATIC), List.of(), List.of(), true);
        assertEquals(0, r.status(), r.err());
        assertEquals("hello from a guest\n", r.out());
        assertTrue(r.trace().contains("write(1, \"hello from a guest\\n\", 19) = 19"), r.trace());
        assertTrue(r.trace().endsWith("+++ exited with 0 +++\n"), r.trace());
    }

    @Test
    void helloStaticPie() throws Exception {
        Run r = run(program(GuestPrograms.HELLO_PIE), List.of(), List.of(), false);
        assertEquals(0, r.status(), r.err());
        assertEquals("hello from a guest\n", r.out());
    }

    @Test
    void exitStatusAndADeniedSyscall() throws Exception {
        Path p = program(GuestPrograms.DENIED_STATIC);
        Run r = run(p, List.of(), List.of(), false);
        assertEquals(3, r.status());
        assertEquals("socket=-1 Function not implemented\n", r.out());
        assertEquals(1, r.unknown().get("socket"));
    }

    @Test
    void aNullLoadIsSigsegvWithOneLine() throws Exception {
        Path p = program(GuestPrograms.NULL_STATIC);
        Run r = run(p, List.of(), List.of(), false);
        assertEquals(139, r.status());
        assertTrue(r.err().startsWith("tether: guest killed by SIGSEGV") && r.err().contains("address 0x0"), r.err());
    }

    @Test
    void readsAGrantedFileAndNothingElse() throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        Files.writeString(data.resolve("f.txt"), "granted\n");
        Path p = program(GuestPrograms.CAT_STATIC);
        assertEquals("granted\n", run(p, List.of(data + "/f.txt"), List.of(data), false).out());
        assertEquals(2, run(p, List.of("/etc/passwd"), List.of(data), false).status());
        Files.writeString(dir.resolve("outside.txt"), "not granted\n");
        assertEquals(2, run(p, List.of(data + "/../outside.txt"), List.of(data), false).status());
    }

    @Test
    void aSpinningGuestEndsOnInterrupt() throws Exception {
        Path p = program(GuestPrograms.SPIN_STATIC);
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
        Path p = program(GuestPrograms.FP_STATIC);
        Run r = run(p, List.of(), List.of(), false);
        assertEquals("1234.5\n", r.out());
    }

    // --- Debian's busybox-static, compared with the same command run natively

    /** Debian's busybox-static: the program the busybox test runs, natively and under MiniLinux. */
    static final Path BUSYBOX = Path.of("/bin/busybox");

    private String nativeRun(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out + "|" + p.exitValue();
    }

    private void sameAsNative(Path data, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(BUSYBOX.toString()));
        cmd.addAll(List.of(args));
        Run r = run(BUSYBOX, List.of(args), List.of(data), false);
        assertEquals(nativeRun(cmd), r.out() + "|" + r.status(), "busybox " + String.join(" ", args) + ": " + r.err());
    }

    @Test
    void busyboxIsAStaticProgramForThisArch() throws Exception {
        ElfFile elf = ElfFile.parse(BUSYBOX.toString(), Files.readAllBytes(BUSYBOX));
        assertEquals(wiring.abi().elfMachine(), elf.machine(), BUSYBOX + ": e_machine (busybox-static of another arch?)");
        assertNull(elf.interpreter(), BUSYBOX + " has a PT_INTERP: the dynamic busybox, not Debian's busybox-static");
    }

    @Test
    void busyboxMatchesNative() throws Exception {
        long t0 = System.nanoTime();
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
        assertTrue(run(BUSYBOX, List.of("sha256sum", data + "/b.bin"), List.of(data), false).out()
                .startsWith(expected));
        // arm64-check prints this line: the busybox part's share of its time budget
        System.out.printf("busybox: 9 commands under MiniLinux, 8 natively, in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }
}
