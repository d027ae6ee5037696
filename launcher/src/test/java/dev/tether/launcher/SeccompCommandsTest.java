package dev.tether.launcher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.api.FailureMode;
import dev.tether.api.HostArch;
import dev.tether.bpf.Bpf;
import dev.tether.bpf.Program;
import dev.tether.bpf.SockFilter;
import dev.tether.seccomp.Action;
import dev.tether.seccomp.Policy;
import dev.tether.seccomp.RuleFile;
import dev.tether.seccomp.SeccompData;
import dev.tether.seccomp.StubPolicy;
import dev.tether.seccomp.SyscallTable;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The {@code tether seccomp} commands, in-process on the test class path (the same flat class
 * path the launcher jar has: the arch jars are found through ServiceLoader).
 */
class SeccompCommandsTest {
    /** AUDIT_ARCH_X86_64 and AUDIT_ARCH_AARCH64 (include/uapi/linux/audit.h: EM_* | 64BIT | LE). */
    static final Map<HostArch, Integer> AUDIT_ARCH = Map.of(HostArch.amd64, 0xc000003e, HostArch.arm64, 0xc00000b7);

    /**
     * A small policy: ptrace and personality get EPERM (1) and EACCES (13); kill(.., SIGKILL=9)
     * gets EPERM; everything else is allowed. Foreign arches: kill_process (the default).
     */
    static final String SMALL = "{\n"
            + "  \"defaultAction\": \"allow\",\n"
            + "  \"ruleSets\": [\n"
            + "    {\"action\": \"errno:1\", \"syscalls\": [{\"name\": \"ptrace\"},\n"
            + "                                     {\"name\": \"kill\", \"anyOf\": [{\"args\": [null, {\"eq\": 9}]}]}]},\n"
            + "    {\"action\": \"errno:13\", \"syscalls\": [{\"name\": \"personality\"}]}\n"
            + "  ]\n"
            + "}\n";

    static Path dir;
    static Path small;

    @BeforeAll
    static void files() throws IOException {
        dir = Cli.tempDir("seccomp");
        small = Files.writeString(dir.resolve("small.json"), SMALL);
    }

    @SuppressWarnings("unchecked")
    static List<int[]> programOf(String jsonLine) {
        Map<String, Object> m = (Map<String, Object>) MiniJson.parse(jsonLine);
        List<Object> insns = (List<Object>) m.get("program");
        return insns.stream().map(o -> ((List<Object>) o).stream()
                .mapToInt(n -> (int) ((BigInteger) n).longValue()).toArray()).toList();
    }

    @ParameterizedTest
    @EnumSource(HostArch.class)
    void compileJsonStartsWithTheArchCheck(HostArch arch) {
        Cli.Result r = Cli.run("seccomp", "compile", "--arch", arch.name(), small.toString());
        assertEquals(ExitCode.OK, r.rc(), r::toString);
        String[] lines = r.out().split("\n");
        assertEquals(1, lines.length, r::toString);
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) MiniJson.parse(lines[0]);
        assertEquals(small.toString(), m.get("file"));
        List<int[]> p = programOf(lines[0]);
        assertTrue(p.size() > 3, "program too short: " + p.size());
        // ld [4] (seccomp_data.arch); jeq #AUDIT_ARCH_<arch>
        assertArrayEquals(new int[] {Bpf.BPF_LD | Bpf.BPF_W | Bpf.BPF_ABS, 0, 0, SeccompData.OFFSET_ARCH}, p.get(0));
        assertEquals(Bpf.BPF_JMP | Bpf.BPF_JEQ | Bpf.BPF_K, p.get(1)[0]);
        assertEquals((int) AUDIT_ARCH.get(arch), p.get(1)[3]);
        assertEquals(SeccompSupport.table(arch).auditArch(), p.get(1)[3]);
        int[] last = p.get(p.size() - 1);
        assertEquals(Bpf.BPF_RET | Bpf.BPF_K, last[0], "a seccomp program ends with ret");
    }

    @Test
    void anErroneousFileGivesAnErrorLineAndExit1() throws IOException {
        Path bad = Files.writeString(dir.resolve("bad.json"),
                "{\"defaultAction\": \"allow\", \"ruleSets\": [{\"action\": \"allow\", \"syscalls\": [{\"name\": \"fooo\"}]}]}");
        Cli.Result r = Cli.run("seccomp", "compile", "--arch", "amd64", small.toString(), bad.toString(),
                dir.resolve("missing.json").toString());
        assertEquals(ExitCode.FAILED, r.rc(), r::toString);
        String[] lines = r.out().split("\n");
        assertEquals(3, lines.length, r::toString);
        assertFalse(programOf(lines[0]).isEmpty());
        @SuppressWarnings("unchecked")
        Map<String, Object> e1 = (Map<String, Object>) MiniJson.parse(lines[1]);
        assertEquals(bad.toString(), e1.get("file"));
        assertTrue(((String) e1.get("error")).contains("unknown syscall \"fooo\" on amd64"), lines[1]);
        assertFalse(e1.containsKey("program"));
        @SuppressWarnings("unchecked")
        Map<String, Object> e2 = (Map<String, Object>) MiniJson.parse(lines[2]);
        assertEquals("no such file", e2.get("error"));
    }

    @Test
    void rawCAndTextDescribeTheSameProgram() throws IOException {
        Cli.Result json = Cli.run("seccomp", "compile", "--arch", "amd64", small.toString());
        List<int[]> expected = programOf(json.out().trim());

        Path raw = dir.resolve("small.bpf");
        Cli.Result r = Cli.run("seccomp", "compile", "--arch", "amd64", "--format", "raw", "-o", raw.toString(), small.toString());
        assertEquals(ExitCode.OK, r.rc(), r::toString);
        Program fromRaw = Program.fromBytes(Files.readAllBytes(raw), SeccompSupport.ORDER);
        assertEquals(Program.fromArrays(expected), fromRaw);

        Cli.Result stdoutRaw = Cli.run("seccomp", "compile", "--arch", "amd64", "--format", "raw", small.toString());
        assertArrayEquals(Files.readAllBytes(raw), stdoutRaw.outBytes());

        Cli.Result c = Cli.run("seccomp", "compile", "--arch", "amd64", "--format", "c", small.toString());
        assertEquals(ExitCode.OK, c.rc(), c::toString);
        assertTrue(c.out().contains("struct sock_filter small_json[] = {"), c::toString);
        assertTrue(c.out().contains("small_json_len = " + expected.size() + ";"), c::toString);
        SockFilter first = fromRaw.get(0);
        assertTrue(c.out().contains(String.format("{0x%02x, %d, %d, 0x%08x},", first.code(), first.jt(), first.jf(), first.k())), c::toString);
        assertEquals(expected.size(), c.out().lines().filter(l -> l.startsWith("\t{0x")).count());

        Cli.Result text = Cli.run("seccomp", "compile", "--arch", "amd64", "--format", "text", small.toString());
        assertEquals(ExitCode.OK, text.rc(), text::toString);
        assertTrue(text.out().contains("ptrace"), "the listing names the syscalls it tests:\n" + text.out());
        assertTrue(text.out().contains((expected.size() - 1) + ": "), text::toString);
    }

    @Test
    void rawWithSeveralFilesWritesIntoTheDirectory() throws IOException {
        Path out = Files.createDirectories(dir.resolve("rawdir"));
        Path other = Files.writeString(dir.resolve("other.json"), "{\"defaultAction\": \"errno:38\", \"ruleSets\": []}");
        Cli.Result r = Cli.run("seccomp", "compile", "--format", "raw", "-o", out.toString(), small.toString(), other.toString());
        assertEquals(ExitCode.OK, r.rc(), r::toString);
        for (Path f : List.of(small, other)) {
            List<int[]> json = programOf(Cli.run("seccomp", "compile", f.toString()).out().trim());
            byte[] bytes = Files.readAllBytes(out.resolve(f.getFileName() + ".bpf"));
            assertEquals(Program.fromArrays(json), Program.fromBytes(bytes, SeccompSupport.ORDER), f.toString());
        }
    }

    @Test
    void evalGivesTheRuleFileVerdicts() {
        String f = small.toString();
        assertVerdict("errno:1", f, "--name", "ptrace");
        assertVerdict("errno:13", f, "--name", "personality", "--arg0", "0xffffffff");
        assertVerdict("errno:1", f, "--name", "kill", "--arg0", "1234", "--arg1", "9");
        assertVerdict("allow", f, "--name", "kill", "--arg1", "15");
        // the matcher compares 64 bits: 9 in the low half alone is not 9
        assertVerdict("allow", f, "--name", "kill", "--arg1", "0x100000009");
        assertVerdict("allow", f, "--name", "read");
        assertVerdict("allow", f, "--nr", "-1");
        assertVerdict("kill_process", f, "--name", "ptrace", "--bad-arch");
        int ptraceArm = SeccompSupport.table(HostArch.arm64).require("ptrace");
        assertVerdict("errno:1", f, "--arch", "arm64", "--nr", String.valueOf(ptraceArm));
        assertVerdict("errno:1", f, "--arch", "arm64", "--nr", "0x" + Integer.toHexString(ptraceArm));
    }

    /** The second line says what decided, with the rule file's own JSON paths. */
    @Test
    void evalSaysWhatDecided() {
        String f = small.toString();
        assertDecided("errno:1", "decided by ruleSets[0].syscalls[0]: ptrace (101), any arguments", f, "--name", "ptrace");
        assertDecided("errno:1", "decided by ruleSets[0].syscalls[1].anyOf[0]: kill (62) {arg1 == 0x9}", f, "--name", "kill", "--arg1", "9");
        assertDecided("allow", "decided by defaultAction: kill (62) is listed by ruleSets[0] (no rule matched)", f, "--name", "kill");
        assertDecided("errno:13", "decided by ruleSets[1].syscalls[0]: personality (135), any arguments", f, "--nr", "0x87");
        assertDecided("allow", "decided by defaultAction: no rule set lists read (0)", f, "--name", "read");
        assertDecided("kill_process", "decided by badArchAction: seccomp_data.arch 0x40000003 is not amd64's 0xc000003e", f,
                "--name", "ptrace", "--bad-arch");
        assertDecided("errno:1", "decided by ruleSets[0].syscalls[0]: ptrace (117), any arguments", f, "--arch", "arm64", "--name", "ptrace");
    }

    /**
     * x32 (amd64): a syscall number from 0x40000000 up gets the bad-arch action (x32's ptrace is
     * 1073742345 = 0x40000209), -1 does not; on arm64 such numbers are plain numbers.
     */
    @Test
    void evalOfX32Syscalls() throws IOException {
        String f = small.toString();
        String x32 = "decided by badArchAction: nr 0x40000209 is an x32 syscall (0x40000000 and up; \"x32\": \"badArchAction\")";
        assertDecided("kill_process", x32, f, "--nr", "1073742345");
        assertDecided("kill_process", x32, f, "--nr", "0x40000209");
        assertDecided("kill_process", x32.replace("0x40000209", "0x7fffffff"), f, "--nr", "0x7fffffff");
        assertDecided("kill_process", x32.replace("0x40000209", "0x80000000"), f, "--nr", "0x80000000");
        assertDecided("kill_process", x32.replace("0x40000209", "0xfffffffe"), f, "--nr", "0xfffffffe");
        assertDecided("allow", "decided by defaultAction: no rule set lists syscall -1 (0xffffffff)", f, "--nr", "0xffffffff");
        assertDecided("allow", "decided by defaultAction: no rule set lists syscall -1 (0xffffffff)", f, "--nr", "-1");
        assertDecided("allow", "decided by defaultAction: no rule set lists syscall 1073742345 (0x40000209)", f,
                "--arch", "arm64", "--nr", "0x40000209");
        // the rule file's own choice: x32 as an arch of its own, decided by the rules
        Path own = Files.writeString(dir.resolve("x32-own.json"), "{\"defaultAction\": \"allow\", \"x32\": \"ruleSets\", \"ruleSets\": ["
                + "{\"action\": \"errno:1\", \"syscalls\": [{\"name\": \"ptrace\"}, {\"nr\": \"0x40000209\"}]}]}");
        assertDecided("errno:1", "decided by ruleSets[0].syscalls[1]: syscall 1073742345 (0x40000209), any arguments", own.toString(),
                "--nr", "0x40000209");
        assertDecided("allow", "decided by defaultAction: no rule set lists syscall 1073741863 (0x40000027)", own.toString(),
                "--nr", "0x40000027");
        // and the compiled programs differ by the check
        List<int[]> guarded = programOf(Cli.run("seccomp", "compile", "--arch", "amd64", f).out().trim());
        assertEquals(0x35, guarded.get(3)[0], "jge");
        assertEquals(0x40000000, guarded.get(3)[3]);
        List<int[]> arm = programOf(Cli.run("seccomp", "compile", "--arch", "arm64", f).out().trim());
        assertEquals(guarded.size() - 2, arm.size(), "two instructions: jge 0x40000000, jeq -1");
    }

    @Test
    void aSyscallOfTheOtherArchIsSaidToBeThere() throws IOException {
        Cli.Result r = Cli.run("seccomp", "eval", "--arch", "arm64", small.toString(), "--name", "open");
        assertEquals(ExitCode.USAGE, r.rc(), r::toString);
        assertTrue(r.err().contains("syscall \"open\" is not on arm64 (it is on amd64)"), r::toString);
        Path open = Files.writeString(dir.resolve("open.json"), "{\"defaultAction\": \"allow\", \"ruleSets\": ["
                + "{\"action\": \"errno:1\", \"syscalls\": [{\"name\": \"open\"}]}]}");
        Cli.Result c = Cli.run("seccomp", "compile", "--arch", "arm64", open.toString());
        assertEquals(ExitCode.FAILED, c.rc(), c::toString);
        assertTrue(c.out().contains("syscall \\\"open\\\" is not on arm64 (it is on amd64)"), c::toString);
        Cli.Result e = Cli.run("seccomp", "eval", "--arch", "arm64", open.toString(), "--nr", "0");
        assertEquals(ExitCode.FAILED, e.rc(), e::toString);
        assertTrue(e.err().contains("syscall \"open\" is not on arm64 (it is on amd64)"), e::toString);
        assertEquals(ExitCode.OK, Cli.run("seccomp", "eval", "--arch", "amd64", open.toString(), "--nr", "0").rc());
    }

    private static void assertDecided(String verdict, String decided, String... args) {
        Cli.Result r = assertVerdict(verdict, args);
        String[] lines = r.out().split("\n");
        assertEquals(2, lines.length, r::toString);
        assertEquals(decided, lines[1], () -> String.join(" ", args));
    }

    private static Cli.Result assertVerdict(String expected, String... args) {
        String[] full = new String[args.length + 2];
        full[0] = "seccomp";
        full[1] = "eval";
        System.arraycopy(args, 0, full, 2, args.length);
        if (!List.of(args).contains("--arch")) {
            full = Stream.concat(Arrays.stream(full), Stream.of("--arch", "amd64"))
                    .toArray(String[]::new);
        }
        Cli.Result r = Cli.run(full);
        assertEquals(ExitCode.OK, r.rc(), r::toString);
        assertEquals(expected, r.out().split("\n")[0], () -> String.join(" ", args) + "\n" + r);
        assertTrue(r.out().split("\n")[1].startsWith("decided by "), r::toString);
        return r;
    }

    @Test
    void evalReportsADisagreementWithExit3() {
        SyscallTable table = SeccompSupport.table(HostArch.amd64);
        Policy policy = RuleFile.parse(SMALL, table);
        // a "compiled" program that allows everything: wrong for ptrace, right for read
        Program wrong = Program.of(SockFilter.stmt(Bpf.BPF_RET | Bpf.BPF_K, Action.ALLOW.value()));
        SeccompData ptrace = SeccompData.of(table.require("ptrace"), table.auditArch(), 0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = SeccompEvalCommand.evaluate(policy, wrong, ptrace, table, false,
                new PrintStream(out, true), new PrintStream(err, true), "test");
        assertEquals(ExitCode.DISAGREE, rc);
        assertEquals("allow\ndecided by ruleSets[0].syscalls[0]: ptrace (101), any arguments", out.toString().trim());
        assertTrue(err.toString().contains("DISAGREEMENT") && err.toString().contains("the rules say errno:1"), err::toString);

        SeccompData read = SeccompData.of(table.require("read"), table.auditArch(), 0);
        assertEquals(ExitCode.OK, SeccompEvalCommand.evaluate(policy, wrong, read, table, false,
                new PrintStream(out, true), new PrintStream(err, true), "test"));
    }

    @Test
    void evalOfABrokenFileFails() throws IOException {
        Path broken = Files.writeString(dir.resolve("broken.json"), "{\"defaultAction\": \"allow\", \"ruleSets\": [");
        Cli.Result r = Cli.run("seccomp", "eval", broken.toString(), "--arch", "amd64", "--nr", "0");
        assertEquals(ExitCode.FAILED, r.rc(), r::toString);
        assertTrue(r.err().contains(broken.toString()), r::toString);
    }

    @ParameterizedTest
    @EnumSource(HostArch.class)
    void stubPolicyParsesBackWithRuleFile(HostArch arch) throws IOException {
        SyscallTable table = SeccompSupport.table(arch);
        for (FailureMode mode : FailureMode.values()) {
            String spelling = mode == FailureMode.FAIL_STOP ? "fail-stop" : "contained";
            Cli.Result r = Cli.run("seccomp", "stub-policy", "--arch", arch.name(), "--mode", spelling);
            assertEquals(ExitCode.OK, r.rc(), r::toString);
            Policy parsed = RuleFile.parse(r.out(), table);
            Policy built = StubPolicy.build(table, SeccompSupport.contribution(arch), Action.KILL_THREAD,
                    SeccompSupport.processCloneFlags(mode));
            assertEquals(built, parsed, spelling);
            assertEquals(Action.KILL_THREAD, parsed.defaultAction());
        }
    }

    @Test
    void stubPolicyModesAllowTheirOwnCloneFlags() throws IOException {
        Path contained = dir.resolve("contained.json");
        Path failStop = dir.resolve("fail-stop.json");
        assertEquals(ExitCode.OK, Cli.run("seccomp", "stub-policy", "--arch", "amd64", "-o", contained.toString()).rc());
        assertEquals(ExitCode.OK, Cli.run("seccomp", "stub-policy", "--arch", "amd64", "--mode", "fail-stop",
                "-o", failStop.toString()).rc());
        // clone(CLONE_FILES | exit signal): 0x400 contained, 0x409 = | SIGKILL fail-stop (gVisor's createStub)
        assertVerdict("allow", contained.toString(), "--name", "clone", "--arg0", "0x400");
        assertVerdict("kill_thread", contained.toString(), "--name", "clone", "--arg0", "0x409");
        assertVerdict("allow", failStop.toString(), "--name", "clone", "--arg0", "0x409");
        assertVerdict("kill_thread", failStop.toString(), "--name", "clone", "--arg0", "0x400");
        assertVerdict("allow", failStop.toString(), "--name", "getpid");
        assertVerdict("kill_thread", failStop.toString(), "--name", "open");

        Cli.Result allow = Cli.run("seccomp", "stub-policy", "--arch", "amd64", "--default", "errno:38");
        assertEquals(Action.errno(38), RuleFile.parse(allow.out(), SeccompSupport.table(HostArch.amd64)).defaultAction());
    }

    @Test
    void explainReadsJsonAndRawAndCountsInstructions() throws IOException {
        Path json = dir.resolve("small.prog.json");
        Files.write(json, Cli.run("seccomp", "compile", "--arch", "arm64", small.toString()).outBytes());
        Path raw = dir.resolve("small.arm64.bpf");
        Cli.run("seccomp", "compile", "--arch", "arm64", "--format", "raw", "-o", raw.toString(), small.toString());
        int size = (int) (Files.size(raw) / SockFilter.SIZE);

        for (Path p : List.of(json, raw)) {
            Cli.Result r = Cli.run("seccomp", "explain", p.toString());
            assertEquals(ExitCode.OK, r.rc(), r::toString);
            // the arch is recognised from the program's arch check
            assertTrue(r.out().contains(size + " instructions, explained for arm64"), r::toString);
            assertTrue(r.out().contains("instructions: " + size), r::toString);
            assertTrue(r.out().contains("executed max "), r::toString);
            assertTrue(r.out().contains("ptrace"), r::toString);
            assertFalse(r.out().contains("; x32 ("), r::toString);
        }
        // amd64: one x32 syscall is run too, and stops right after the x32 check
        Path amd = dir.resolve("small.amd64.json");
        Files.write(amd, Cli.run("seccomp", "compile", "--arch", "amd64", small.toString()).outBytes());
        Cli.Result x = Cli.run("seccomp", "explain", "--no-listing", amd.toString());
        assertTrue(x.out().contains("; foreign arch: 3; x32 (nr 0x40000000): 6\n"), x::toString);
        Cli.Result ruleFile = Cli.run("seccomp", "explain", small.toString());
        assertEquals(ExitCode.FAILED, ruleFile.rc(), ruleFile::toString);
        assertTrue(ruleFile.err().contains("is a rule file, not a compiled program"), ruleFile::toString);

        // ld [4]; ja +5 (out of the program): the kernel would refuse it, so does explain
        Path invalid = Files.write(dir.resolve("invalid.bpf"), Program.of(
                SockFilter.stmt(Bpf.BPF_LD | Bpf.BPF_W | Bpf.BPF_ABS, 4),
                SockFilter.stmt(Bpf.BPF_JMP | Bpf.BPF_JA, 5)).toBytes(SeccompSupport.ORDER));
        Cli.Result inv = Cli.run("seccomp", "explain", invalid.toString());
        assertEquals(ExitCode.FAILED, inv.rc(), inv::toString);
        assertTrue(inv.err().contains("not a valid seccomp program"), inv::toString);

        Path odd = Files.write(dir.resolve("odd.bpf"), new byte[] {0x20, 0, 0, 0, 4});
        Cli.Result r = Cli.run("seccomp", "explain", odd.toString());
        assertEquals(ExitCode.FAILED, r.rc(), r::toString);
        assertTrue(r.err().contains("not a whole number of 8-byte sock_filter instructions"), r::toString);
    }

    @Test
    void theDemosFallbackPrintsTheHostsStubPolicy() {
        HostArch host = HostArch.current();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StubPolicyDemo.print(host, new PrintStream(out, true));
        String text = out.toString();
        assertTrue(text.contains(String.format("0x%08x", SeccompSupport.table(host).auditArch())), text);
        assertTrue(text.contains("instructions: "), text);
        assertTrue(text.contains("executed max "), text);
        assertTrue(text.contains("clone"), text);
    }

    @Test
    void manyFilesInOneCall() throws IOException {
        int n = 200;
        String[] args = new String[n + 4];
        args[0] = "seccomp";
        args[1] = "compile";
        args[2] = "--arch";
        args[3] = "amd64";
        for (int i = 0; i < n; i++) {
            // syscall i gets errno i+1: every file is different
            Path f = dir.resolve("many-" + i + ".json");
            Files.writeString(f, "{\"defaultAction\": \"allow\", \"ruleSets\": [{\"action\": \"errno:" + (i + 1)
                    + "\", \"syscalls\": [{\"nr\": " + i + "}]}]}");
            args[i + 4] = f.toString();
        }
        Cli.Result r = Cli.run(args);
        assertEquals(ExitCode.OK, r.rc(), r::toString);
        List<String> lines = r.out().lines().toList();
        assertEquals(n, lines.size());
        for (int i = 0; i < n; i++) {
            List<int[]> p = programOf(lines.get(i));
            int want = Action.errno(i + 1).value();
            assertTrue(p.stream().anyMatch(insn -> insn[0] == (Bpf.BPF_RET | Bpf.BPF_K) && insn[3] == want),
                    "file " + i + " returns errno:" + (i + 1));
        }
    }
}
