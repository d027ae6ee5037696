package dev.tether.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.api.HostArch;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Parsing: --help, and bad usage = exit 2 with a message naming the problem. */
class CommandLineTest {
    @Test
    void helpListsTheSubcommands() {
        Cli.Result r = Cli.run("--help");
        assertEquals(ExitCode.OK, r.rc(), r::toString);
        for (String sub : new String[] {"demo", "shell", "seccomp"}) {
            assertTrue(r.out().contains("\n  " + sub + " "), () -> sub + " missing from\n" + r.out());
        }
        Cli.Result s = Cli.run("seccomp", "--help");
        assertEquals(ExitCode.OK, s.rc(), s::toString);
        for (String sub : new String[] {"compile", "explain", "eval", "stub-policy"}) {
            assertTrue(s.out().contains("\n  " + sub + " "), () -> sub + " missing from\n" + s.out());
        }
    }

    @ParameterizedTest(name = "[{index}] tether {0}")
    @CsvSource(delimiter = '|', value = {
        "''                                             | Missing subcommand",
        "--bogus                                        | Unknown option: '--bogus'",
        "frobnicate                                     | Unmatched argument",
        "seccomp                                        | Missing subcommand",
        "seccomp compile                                | Missing required parameter: 'FILE'",
        "seccomp compile --arch x86 a.json              | Invalid value for option '--arch'",
        "seccomp compile --arch amd64,x86 a.json        | several architectures need --oci",
        "seccomp compile --format xml a.json            | Invalid value for option '--format'",
        "seccomp eval a.json                            | (--nr=N | --name=NAME)",
        "seccomp eval a.json --nr 1 --name read         | mutually exclusive",
        "seccomp eval a.json --nr one                   | Invalid value for option '--nr'",
        "seccomp eval a.json --nr 0x100000000           | \"0x100000000\" does not fit in 32 bits (0x0..0xffffffff)",
        "seccomp eval a.json --nr 4294967295            | does not fit in 32 bits (-2147483648..2147483647, or 0x0..0xffffffff)",
        "seccomp eval a.json --nr -0x1                  | is not a number",
        "seccomp eval a.json --nr 1 --arg0 0x1ffffffffffffffff | does not fit in 64 bits",
        "seccomp eval a.json --nr 1 --arg6 1            | Unknown options: '--arg6'",
        "seccomp stub-policy --mode sometimes           | expected contained or fail-stop",
        "seccomp stub-policy --default nope             | unknown action \"nope\"",
        "seccomp explain                                | Missing required parameter: 'PROGRAM'",
    })
    void badUsageExitsWith2AndSaysWhy(String line, String expected) {
        String[] args = line.isBlank() ? new String[0] : line.trim().split("\\s+");
        Cli.Result r = Cli.run(args);
        assertEquals(ExitCode.USAGE, r.rc(), r::toString);
        assertTrue(r.err().contains(expected), () -> "expected <" + expected + "> in\n" + r);
        assertTrue(r.err().contains("--help' for more information"), r::toString);
        assertEquals("", r.out(), "bad usage prints nothing on stdout");
    }

    @Test
    void unknownSyscallNameIsBadUsage() throws Exception {
        Path dir = Cli.tempDir("cli");
        Path rules = dir.resolve("r.json");
        Files.writeString(rules, "{\"defaultAction\": \"allow\", \"ruleSets\": []}");
        Cli.Result r = Cli.run("seccomp", "eval", rules.toString(), "--arch", "amd64", "--name", "no_such_call");
        assertEquals(ExitCode.USAGE, r.rc(), r::toString);
        assertTrue(r.err().contains("unknown syscall \"no_such_call\" on amd64"), r::toString);
    }

    @Test
    void rawWithSeveralFilesNeedsADirectory() throws Exception {
        Path dir = Cli.tempDir("cli");
        Path a = Files.writeString(dir.resolve("a.json"), "{\"defaultAction\": \"allow\", \"ruleSets\": []}");
        Cli.Result r = Cli.run("seccomp", "compile", "--format", "raw", a.toString(), a.toString());
        assertEquals(ExitCode.USAGE, r.rc(), r::toString);
        assertTrue(r.err().contains("needs -o DIR"), r::toString);
    }

    @ParameterizedTest
    @CsvSource({"amd64,amd64", "x86_64,amd64", "aarch64,arm64", "arm64,arm64"})
    void hostArchFromOsArch(String osArch, String expected) {
        assertEquals(HostArch.valueOf(expected), SeccompSupport.hostArch(osArch));
    }

    @Test
    void unknownHostArchIsAClearError() {
        CliException e = assertThrows(CliException.class, () -> SeccompSupport.hostArch("riscv64"));
        assertTrue(e.getMessage().contains("os.arch=riscv64"), e::getMessage);
    }
}
