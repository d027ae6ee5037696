package dev.tether.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bad input to the {@code tether seccomp} commands, as users reproduced it: each gets a clear
 * one-line error naming what was wrong, exit 2 for bad usage, no stack trace, no partial output,
 * and the other files of the same call keep their results.
 */
class SeccompBadInputTest {
    static Path dir;
    static Path small;

    @BeforeAll
    static void files() throws IOException {
        dir = Cli.tempDir("bad-input");
        small = Files.writeString(dir.resolve("small.json"), SeccompCommandsTest.SMALL);
    }

    /** No Java stack trace or exception class name in what a user sees. */
    static void assertNoStackTrace(Cli.Result r) {
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception") || r.err().contains("Error:")
                || r.out().contains("\tat "), r::toString);
    }

    static Path deepFile(String name, int depth) throws IOException {
        return Files.writeString(dir.resolve(name),
                "{\"defaultAction\": \"allow\", \"ruleSets\": " + "[".repeat(depth) + "]".repeat(depth) + "}");
    }

    @Test
    void aDeeplyNestedFileIsReportedOnItsOwnAndTheOthersStillCompile() throws IOException {
        // 100,000 levels overflow any recursive parser's stack; the user's file had 2,000
        Path deep = deepFile("deep.json", 100_000);
        Path deep2k = deepFile("deep2k.json", 2_000);
        Cli.Result r = Cli.run("seccomp", "compile", "--arch", "amd64", deep.toString(), small.toString(), deep2k.toString());
        assertEquals(ExitCode.FAILED, r.rc(), r::toString);
        List<String> lines = r.out().lines().toList();
        assertEquals(3, lines.size(), r::toString);
        for (int i : new int[] {0, 2}) {
            @SuppressWarnings("unchecked")
            Map<String, Object> e = (Map<String, Object>) MiniJson.parse(lines.get(i));
            assertTrue(((String) e.get("error")).contains("(line 1, column 103): nesting deeper than 64 levels of arrays and objects"),
                    lines.get(i));
        }
        assertFalse(SeccompCommandsTest.programOf(lines.get(1)).isEmpty());
        assertNoStackTrace(r);

        Cli.Result text = Cli.run("seccomp", "compile", "--arch", "amd64", "--format", "text", deep.toString(), small.toString());
        assertEquals(ExitCode.FAILED, text.rc(), text::toString);
        assertTrue(text.err().startsWith("tether seccomp compile: " + deep + ": ruleSets"), text::toString);
        assertTrue(text.out().startsWith("# " + small + ": amd64"), text::toString);
        assertNoStackTrace(text);
    }

    @Test
    void explainRefusesSyscallRangesAndCountsItCannotRun() {
        Path prog = dir.resolve("small.prog.json");
        Cli.Result c = Cli.run("seccomp", "compile", "--arch", "amd64", "-o", prog.toString(), small.toString());
        assertEquals(ExitCode.OK, c.rc(), c::toString);
        // --max-nr 2147483647: the loop counter wrapped and explain never ended
        Cli.Result max = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> Cli.run("seccomp", "explain", "--max-nr", "2147483647", prog.toString()));
        assertEquals(ExitCode.USAGE, max.rc(), max::toString);
        assertTrue(max.err().contains("--max-nr must be 0..65535, got 2147483647"), max::toString);
        assertEquals("", max.out());
        for (String[] bad : new String[][] {{"--max-nr", "-1"}, {"--top", "-1"}}) {
            Cli.Result r = Cli.run("seccomp", "explain", bad[0], bad[1], prog.toString());
            assertEquals(ExitCode.USAGE, r.rc(), r::toString);
            assertTrue(r.err().contains(bad[0] + " must be "), r::toString);
            assertNoStackTrace(r);
        }
        Cli.Result ok = Cli.run("seccomp", "explain", "--max-nr", "3", "--top", "0", "--no-listing", prog.toString());
        assertEquals(ExitCode.OK, ok.rc(), ok::toString);
        assertTrue(ok.out().contains("syscalls 0..3: "), ok::toString);
    }

    @Test
    void anOutputFileThatCannotBeWrittenIsAUsageErrorWithoutATrace() {
        String out = "/nonexistent/x.json";
        for (String[] args : new String[][] {
            {"seccomp", "compile", "--arch", "amd64", "-o", out, small.toString()},
            {"seccomp", "stub-policy", "--arch", "amd64", "-o", out}}) {
            Cli.Result r = Cli.run(args);
            assertEquals(ExitCode.USAGE, r.rc(), r::toString);
            assertTrue(r.err().contains("-o " + out + ": no such directory: /nonexistent"), r::toString);
            assertNoStackTrace(r);
            assertEquals("", r.out());
        }
    }

    @Test
    void inputIsReadUpToAStatedLimit() throws IOException {
        // a sparse 3 GiB file: Files.readString threw OutOfMemoryError
        Path huge = dir.resolve("huge.json");
        try (RandomAccessFile f = new RandomAccessFile(huge.toFile(), "rw")) {
            f.setLength(3L << 30);
        }
        try {
            // /dev/zero has size 0 in stat and never ends
            for (Path p : List.of(huge, Path.of("/dev/zero"))) {
                Cli.Result r = Cli.run("seccomp", "compile", "--arch", "amd64", p.toString(), small.toString());
                assertEquals(ExitCode.FAILED, r.rc(), r::toString);
                List<String> lines = r.out().lines().toList();
                assertEquals(2, lines.size(), r::toString);
                assertEquals(SeccompSupport.errorJson(p.toString(), "larger than the limit of 4 MiB (4194304 bytes) for a rule file"),
                        lines.get(0));
                Cli.Result e = Cli.run("seccomp", "eval", "--arch", "amd64", p.toString(), "--nr", "0");
                assertEquals(ExitCode.FAILED, e.rc(), e::toString);
                assertTrue(e.err().contains(p + ": larger than the limit of 4 MiB"), e::toString);
                Cli.Result x = Cli.run("seccomp", "explain", p.toString());
                assertEquals(ExitCode.FAILED, x.rc(), x::toString);
                assertTrue(x.err().contains(p + ": larger than the limit of 4 MiB (4194304 bytes) for a compiled program"), x::toString);
                assertNoStackTrace(x);
            }
        } finally {
            Files.delete(huge);
        }
    }

    /** A stream that fails every write, as /dev/full does. */
    static final class Full extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            throw new IOException("No space left on device");
        }
    }

    @Test
    void aFailedWriteToStandardOutputIsAnError() {
        for (String[] args : new String[][] {
            {"seccomp", "compile", "--arch", "amd64", small.toString()},
            {"seccomp", "compile", "--arch", "amd64", "--format", "raw", small.toString()},
            {"seccomp", "stub-policy", "--arch", "amd64"},
            {"seccomp", "eval", "--arch", "amd64", small.toString(), "--name", "ptrace"},
            {"--help"}}) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int rc = Main.run(CheckedPrintStream.over(new Full(), StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), args);
            String e = err.toString(StandardCharsets.UTF_8);
            assertEquals(ExitCode.FAILED, rc, () -> String.join(" ", args) + ": " + e);
            assertTrue(e.contains("cannot write to standard output: No space left on device"), e);
            assertFalse(e.contains("\tat "), e);
        }
    }

    @Test
    void anOutputFileIsWholeOrAbsent() throws IOException {
        Path out = dir.resolve("whole.bpf");
        Files.deleteIfExists(out);
        Path bad = Files.writeString(dir.resolve("unknown.json"),
                "{\"defaultAction\": \"allow\", \"ruleSets\": [{\"action\": \"allow\", \"syscalls\": [{\"name\": \"fooo\"}]}]}");
        Cli.Result r = Cli.run("seccomp", "compile", "--arch", "amd64", "--format", "raw", "-o", out.toString(), bad.toString());
        assertEquals(ExitCode.FAILED, r.rc(), r::toString);
        assertFalse(Files.exists(out), "no empty output for a file that did not compile");
        try (Stream<Path> left = Files.list(dir)) {
            assertTrue(left.noneMatch(p -> p.getFileName().toString().startsWith(".whole.bpf")), "no temporary file left");
        }
    }

    /** The user's file name broke out of the C comment; gcc then compiled {@code int pwned = 1;}. */
    @Test
    void cOutputKeepsFileNamesInsideItsComment() throws Exception {
        Path sub = Files.createDirectories(dir.resolve("c"));
        // directories "a*" and " int pwned = 1; ", file "*.json": the path closes the comment
        Path evil = sub.resolve("a*/ int pwned = 1; /*.json");
        Files.createDirectories(evil.getParent());
        Files.writeString(evil, SeccompCommandsTest.SMALL);
        Path nl = Files.writeString(sub.resolve("b\n#error injected\n.json"), SeccompCommandsTest.SMALL);
        Cli.Result r = Cli.run("seccomp", "compile", "--arch", "amd64", "--format", "c", evil.toString(), nl.toString());
        assertEquals(ExitCode.OK, r.rc(), r::toString);
        assertFalse(r.out().contains("*/ int pwned"), r::toString);
        assertFalse(r.out().contains("\n#error"), r::toString);
        assertTrue(r.out().contains("struct sock_filter __json[] = {"), r::toString);
        assertTrue(r.out().contains("struct sock_filter b__error_injected__json[] = {"), r::toString);
        for (String line : r.out().split("\n")) {
            assertTrue(line.chars().allMatch(ch -> ch == '\t' || (ch >= 0x20 && ch < 0x7f)), () -> "not printable ASCII: " + line);
        }
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/gcc")) && Files.isExecutable(Path.of("/usr/bin/nm")), "gcc and nm");
        Path c = Files.writeString(sub.resolve("filters.c"), "#include <linux/filter.h>\n" + r.out());
        Path o = sub.resolve("filters.o");
        assertEquals(0, run("/usr/bin/gcc", "-Wall", "-Werror", "-c", "-o", o.toString(), c.toString()));
        String symbols = output("/usr/bin/nm", o.toString());
        assertTrue(symbols.contains(" __json\n"), symbols);
        assertTrue(symbols.contains(" __json_len\n"), symbols);
        assertFalse(symbols.lines().anyMatch(l -> l.endsWith(" pwned")), symbols);
    }

    private static int run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", cmd));
        return p.exitValue();
    }

    private static String output(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", cmd));
        assertEquals(0, p.exitValue(), text);
        return text;
    }

    @Test
    void rawFilesWithTheSameNameAreRefusedBeforeAnythingIsWritten() throws IOException {
        Path out = Files.createDirectories(dir.resolve("rawsame"));
        Path one = Files.createDirectories(dir.resolve("one")).resolve("x.json");
        Path two = Files.createDirectories(dir.resolve("two")).resolve("x.json");
        Files.writeString(one, SeccompCommandsTest.SMALL);
        Files.writeString(two, "{\"defaultAction\": \"errno:38\", \"ruleSets\": []}");
        Cli.Result r = Cli.run("seccomp", "compile", "--arch", "amd64", "--format", "raw", "-o", out.toString(),
                small.toString(), one.toString(), two.toString());
        assertEquals(ExitCode.USAGE, r.rc(), r::toString);
        assertTrue(r.err().contains(one + " and " + two + " would both be written to " + out.resolve("x.json.bpf")), r::toString);
        try (Stream<Path> written = Files.list(out)) {
            assertEquals(0, written.count(), "nothing written");
        }
        assertNoStackTrace(r);
    }

    @Test
    void numbersOnTheCommandLineAreAsciiDigits() {
        String f = small.toString();
        for (String[] bad : new String[][] {
            {"--name", "kill", "--arg1", "\u0669"},   // ARABIC-INDIC DIGIT NINE
            {"--name", "kill", "--arg1", "+9"},
            {"--name", "kill", "--arg1", "9_0"},
            {"--name", "kill", "--arg1", "0x\uff21"}, // FULLWIDTH A
            {"--name", "kill", "--arg1", "9".repeat(1_000_000)},
            {"--nr", "\u0661"},
            {"--nr", "1".repeat(1_000_000)},
            {"--nr", "0x\uff21"},
            {"--nr", "0x" + "f".repeat(1_000_000)},
            {"--nr", "0x100000000"}}) {
            Cli.Result r = assertTimeoutPreemptively(Duration.ofSeconds(60),
                    () -> Cli.run(Stream.concat(Stream.of("seccomp", "eval", "--arch", "amd64", f), Stream.of(bad)).toArray(String[]::new)));
            assertEquals(ExitCode.USAGE, r.rc(), r::toString);
            assertTrue(r.err().length() < 600, () -> r.err().length() + " characters of error:\n" + r.err().substring(0, 600));
            assertNoStackTrace(r);
        }
        Cli.Result nine = Cli.run("seccomp", "eval", "--arch", "amd64", f, "--name", "kill", "--arg1", "9");
        assertEquals("errno:1", nine.out().split("\n")[0], nine::toString);
        Cli.Result neg = Cli.run("seccomp", "eval", "--arch", "amd64", f, "--nr", "-1", "--arg0", "-1", "--arg1", "0xFFFFFFFFFFFFFFFF");
        assertEquals(ExitCode.OK, neg.rc(), neg::toString);
    }

    @Test
    void errorsQuoteAtMost80CharactersOfAValue() {
        String name = "x".repeat(1_000_000);
        Cli.Result r = Cli.run("seccomp", "eval", "--arch", "amd64", small.toString(), "--name", name);
        assertEquals(ExitCode.USAGE, r.rc(), r::toString);
        assertTrue(r.err().contains("unknown syscall \"" + "x".repeat(80) + "...\" (1000000 characters) on amd64"), () -> r.err().substring(0, 300));
        assertTrue(r.err().length() < 600, () -> r.err().length() + " characters");
    }

    @Test
    void explainReadsABoundedAndShallowJsonProgram() throws IOException {
        Path deep = Files.writeString(dir.resolve("deep.prog.json"), "[".repeat(100_000) + "]".repeat(100_000) + "\n");
        Cli.Result r = Cli.run("seccomp", "explain", deep.toString());
        assertEquals(ExitCode.FAILED, r.rc(), r::toString);
        assertTrue(r.err().contains("nesting deeper than 64"), r::toString);
        assertNoStackTrace(r);
        Path big = Files.writeString(dir.resolve("bignum.prog.json"), "[[6, 0, 0, " + "9".repeat(1_000_000) + "]]\n");
        Cli.Result b = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> Cli.run("seccomp", "explain", big.toString()));
        assertEquals(ExitCode.FAILED, b.rc(), b::toString);
        assertTrue(b.err().length() < 600, () -> b.err().length() + " characters");
        Path arabic = Files.writeString(dir.resolve("arabic.prog.json"), "[[6, 0, 0, \u0661]]\n");
        Cli.Result a = Cli.run("seccomp", "explain", arabic.toString());
        assertEquals(ExitCode.FAILED, a.rc(), a::toString);
        assertNoStackTrace(a);
    }
}
