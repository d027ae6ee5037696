package dev.tether.shell.commands;

import dev.tether.api.PlatformFacts;
import dev.tether.guest.GuestPlatform;
import dev.tether.guest.kernel.GuestRunner;
import dev.tether.guest.kernel.TinyElf;
import dev.tether.guest.kernel.spi.LinuxAbi;
import dev.tether.seccomp.SyscallTable;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The guest part of {@code tether:demo}: the smallest static program ({@link TinyElf}, no compiler
 * needed) run under MiniLinux on the ptrace GuestPlatform, with its system calls as they stopped in Java.
 */
final class GuestDemo {
    static final String MESSAGE = "hello from a guest\n";

    private GuestDemo() {
    }

    static void run(PrintStream out, GuestPlatform guests, PlatformFacts facts, List<SyscallTable> tables, List<LinuxAbi> abis)
            throws IOException {
        if (guests == null) {
            out.println("Guest: no ptrace GuestPlatform service" + "  UNEXPECTED");
            return;
        }
        GuestKernel kernel;
        try {
            kernel = GuestKernel.of(guests, tables, abis);
        } catch (IllegalStateException e) {
            out.println("Guest: " + e.getMessage() + "  UNEXPECTED");
            return;
        }
        SyscallTable table = kernel.table();
        byte[] image = TinyElf.hello(kernel.abi(), MESSAGE, table.number("write").orElseThrow(), table.number("exit_group").orElseThrow());
        Path program = Files.createTempFile("tether-demo-guest", "");
        try {
            Files.write(program, image);
            ByteArrayOutputStream stdout = new ByteArrayOutputStream();
            ByteArrayOutputStream trace = new ByteArrayOutputStream();
            PrintStream tr = new PrintStream(trace, true, StandardCharsets.UTF_8);
            GuestRunner runner = kernel.runner(facts);
            GuestRunner.Outcome o = runner.run(new GuestRunner.Options(program, List.of("hello"), List.of(), List.of(),
                    new ByteArrayInputStream(new byte[0]), new PrintStream(stdout, true, StandardCharsets.UTF_8), tr, tr));
            String got = stdout.toString(StandardCharsets.UTF_8);
            out.printf("Guest: a %d-byte static program run in a subprocess; each system call it made stopped in Java%n",
                    image.length);
            for (String line : trace.toString(StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) {
                    out.println("  " + line);
                }
            }
            out.printf("  %-20s %s%s%n", "its output", got.strip(), got.equals(MESSAGE) ? "  ok" : "  UNEXPECTED");
            out.printf("  %-20s %d%s%n", "its exit status", o.status(), o.status() == 0 ? "  ok" : "  UNEXPECTED");
            out.println("  (run your own: ./tether run [--trace] [--ro DIR] PROGRAM [ARGS...])");
        } finally {
            Files.deleteIfExists(program);
        }
    }
}
