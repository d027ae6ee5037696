package dev.tether.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.tether.bpf.Interpreter;
import dev.tether.bpf.Program;
import dev.tether.seccomp.Action;
import dev.tether.seccomp.CompatSyscallTables;
import dev.tether.seccomp.MultiArchCompiler;
import dev.tether.seccomp.MultiArchPolicy;
import dev.tether.seccomp.OciProfile;
import dev.tether.seccomp.OciResolver;
import dev.tether.seccomp.SeccompData;
import dev.tether.seccomp.SyscallTable;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Docker's real default profile (Docker 20.10, Debian's golang-github-docker-docker-dev, fetched by
 * .ci/fetch-docker-profile and passed as -Dtether.dockerProfile=PATH): resolved as Docker does,
 * compiled for the ABIs runc loads, and checked against the reference on every syscall number of
 * every ABI and on argument values from its rules.
 */
class DockerDefaultProfileTest {
    static final int X86_64 = 0xc000003e;
    static final int AARCH64 = 0xc00000b7;
    static OciProfile profile;
    static Map<String, SyscallTable> tables;

    static String path;

    @BeforeAll
    static void load() throws IOException, InterruptedException {
        path = profilePath();
        profile = OciProfile.parse(Files.readString(Path.of(path)));
        tables = SeccompOci.tables();
    }

    /**
     * -Dtether.dockerProfile (.ci/run passes it), else what .ci/fetch-docker-profile prints: it
     * unpacks Debian's package into target/ once (nothing is installed), so a plain
     * {@code mvn verify} runs these tests too. Only when that cannot work here (no apt-get, no
     * network) is the test aborted, saying so; with CI=true that is a failure.
     */
    private static String profilePath() throws IOException, InterruptedException {
        String given = System.getProperty("tether.dockerProfile", "");
        if (!given.isEmpty()) {
            return given;
        }
        Path script = Path.of(System.getProperty("tether.reactor.root", ".."), ".ci", "fetch-docker-profile");
        String why;
        if (Files.isExecutable(script)) {
            Path out = Files.createTempFile("fetch-docker-profile", ".out");
            Path log = Files.createTempFile("fetch-docker-profile", ".log");
            try {
                // stdin not a terminal: the script then never lets sudo ask for a password (sudo -n)
                Process p = new ProcessBuilder(script.toString()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                        .redirectOutput(out.toFile()).redirectError(log.toFile()).start();
                boolean done = p.waitFor(FETCH_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
                if (!done) {
                    p.destroyForcibly().waitFor();
                }
                String printed = Files.readString(out).strip();
                if (done && p.exitValue() == 0 && Files.isReadable(Path.of(printed))) {
                    return printed;
                }
                why = script + (done ? " failed (exit " + p.exitValue() + "): " + Files.readString(log).strip()
                        : " did not finish in " + FETCH_SECONDS + " s");
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(log);
            }
        } else {
            why = script + " is not there";
        }
        String msg = "Docker's default profile not given and not fetched (" + why
                + "): run .ci/fetch-docker-profile and pass -Dtether.dockerProfile=<its output>";
        if ("true".equals(System.getenv("CI"))) {
            fail(msg + " (CI=true: this test must run)");
        }
        System.err.println("*** SKIPPED DockerDefaultProfileTest: " + msg + " ***");
        Assumptions.abort(msg);
        throw new AssertionError("unreachable");
    }

    /** How long fetching the profile may take (one .deb of a few MB, plus apt-get update on a fresh machine). */
    private static final int FETCH_SECONDS = 300;

    static OciResolver.Resolution resolve(String nat, Set<String> caps) {
        return OciResolver.resolve(profile, new OciResolver.Options(nat, List.of(), caps, OciResolver.KernelVersion.parse("6.1"), false),
                tables);
    }

    static int run(Program p, SeccompData d) {
        return Interpreter.run(p, d.toBytes(ByteOrder.LITTLE_ENDIAN), ByteOrder.LITTLE_ENDIAN).value();
    }

    /** Every number of every ABI of the filter (and a few beyond), with argument values from the rules and random ones. */
    static int checkAll(MultiArchPolicy mp, Program p) {
        Random r = new Random(1);
        int n = 0;
        long[] interesting = {0, 1, 8, 0x20000, 0x20008, 0xffffffffL, 0x10000000, 0x7e020000, 0x1_0000_0000L, -1L};
        for (MultiArchPolicy.Part part : mp.parts()) {
            List<Integer> nrs = new ArrayList<>(part.table().all().values());
            nrs.addAll(List.of(-1, 0x3fffffff, 0x40000000, 0x40000000 | 600, 1000));
            for (int nr : nrs) {
                for (int k = 0; k < 12; k++) {
                    long[] a = new long[6];
                    for (int i = 0; i < 6; i++) {
                        a[i] = k < 10 ? interesting[(k + i) % interesting.length] : r.nextLong();
                    }
                    SeccompData d = new SeccompData(nr, part.table().auditArch(), 0, a);
                    assertEquals(mp.evaluate(d).value(), run(p, d), () -> d.toString());
                    n++;
                }
            }
        }
        return n;
    }

    @Test
    void amd64WithDockersDefaultCaps() {
        OciResolver.Resolution res = resolve("amd64", Set.copyOf(OciResolver.DOCKER_DEFAULT_CAPS));
        MultiArchPolicy mp = res.policy();
        assertEquals(List.of("amd64", "x86", "x32"), mp.parts().stream().map(x -> x.table().arch()).toList());
        Program p = MultiArchCompiler.compile(mp);
        assertTrue(checkAll(mp, p) > 10_000);
        SyscallTable amd64 = tables.get("amd64");
        int eperm = Action.errno(1).value();
        assertEquals(Action.RET_ALLOW, run(p, SeccompData.of(amd64.require("read"), X86_64, 0)));
        assertEquals(Action.RET_ALLOW, run(p, SeccompData.of(amd64.require("ptrace"), X86_64, 0))); // minKernel 4.8
        assertEquals(eperm, run(p, SeccompData.of(amd64.require("mount"), X86_64, 0))); // needs CAP_SYS_ADMIN
        // clone: namespaces flags (mask 0x7e020000) refused without CAP_SYS_ADMIN; CLONE_NEWUSER = 0x10000000
        assertEquals(Action.RET_ALLOW, run(p, SeccompData.of(amd64.require("clone"), X86_64, 0, 0x11)));
        assertEquals(eperm, run(p, SeccompData.of(amd64.require("clone"), X86_64, 0, 0x10000011)));
        // the other ABIs of the filter: i386 socketcall and x32 read
        assertEquals(Action.RET_ALLOW, run(p, SeccompData.of(CompatSyscallTables.i386().require("socketcall"),
                CompatSyscallTables.AUDIT_ARCH_I386, 0)));
        assertEquals(Action.RET_ALLOW, run(p, SeccompData.of(CompatSyscallTables.x32().require("read"), X86_64, 0)));
        assertEquals(Action.RET_KILL_THREAD, run(p, SeccompData.of(0, AARCH64, 0)));
        // which entry decided: the clone entry with its masked test
        String entry = res.entry(mp.decide(SeccompData.of(amd64.require("clone"), X86_64, 0, 0x11)));
        assertTrue(entry != null && entry.startsWith("syscalls["), String.valueOf(entry));
    }

    @Test
    void capSysAdminAndArm64() {
        OciResolver.Resolution admin = resolve("amd64", Set.of("CAP_SYS_ADMIN"));
        Program p = MultiArchCompiler.compile(admin.policy());
        SyscallTable amd64 = tables.get("amd64");
        assertEquals(Action.RET_ALLOW, run(p, SeccompData.of(amd64.require("mount"), X86_64, 0)));
        assertEquals(Action.RET_ALLOW, run(p, SeccompData.of(amd64.require("clone"), X86_64, 0, 0x10000011)));
        checkAll(admin.policy(), p);
        OciResolver.Resolution arm = resolve("arm64", Set.copyOf(OciResolver.DOCKER_DEFAULT_CAPS));
        assertEquals(List.of("arm64", "arm"), arm.policy().parts().stream().map(x -> x.table().arch()).toList());
        Program pa = MultiArchCompiler.compile(arm.policy());
        checkAll(arm.policy(), pa);
        assertEquals(Action.RET_ALLOW, run(pa, SeccompData.of(tables.get("arm64").require("openat"), AARCH64, 0)));
        assertEquals(Action.RET_ALLOW, run(pa, SeccompData.of(CompatSyscallTables.arm().require("open"),
                CompatSyscallTables.AUDIT_ARCH_ARM, 0)));
    }

    /** {@code seccomp eval --oci} on the real profile: the verdict, and the entry or action that decided. */
    @Test
    void evalOciNamesTheProfileEntryThatDecided() {
        Cli.Result read = Cli.run("seccomp", "eval", "--oci", "--arch", "amd64", "--kernel", "6.1", path, "--name", "read");
        assertEquals(ExitCode.OK, read.rc(), read::toString);
        assertTrue(read.out().startsWith("allow\ndecided by syscalls["), read::toString);
        assertTrue(read.out().contains("] of the profile (amd64)"), read::toString);
        // mount needs CAP_SYS_ADMIN, which Docker's default set lacks: the profile's defaultAction (errno EPERM)
        Cli.Result mount = Cli.run("seccomp", "eval", "--oci", "--arch", "amd64", "--kernel", "6.1", path, "--name", "mount");
        assertEquals("errno:1\ndecided by the profile's defaultAction (amd64)\n", mount.out(), mount::toString);
        Cli.Result admin = Cli.run("seccomp", "eval", "--oci", "--arch", "amd64", "--kernel", "6.1", "--caps", "default,SYS_ADMIN",
                path, "--name", "mount");
        assertTrue(admin.out().startsWith("allow\ndecided by syscalls["), admin::toString);
        // one filter for amd64, x86 and x32 (Docker's archMap): an i386 call is decided by the x86 rules
        Cli.Result x86 = Cli.run("seccomp", "eval", "--oci", "--arch", "amd64,x86,x32", "--kernel", "6.1", path, "--abi", "x86",
                "--name", "socketcall");
        assertTrue(x86.out().startsWith("allow\ndecided by syscalls["), x86::toString);
        assertTrue(x86.out().contains("(x86)"), x86::toString);
        Cli.Result bad = Cli.run("seccomp", "eval", "--oci", "--arch", "amd64", "--kernel", "6.1", path, "--bad-arch", "--name", "read");
        assertTrue(bad.out().startsWith("kill_thread\ndecided by the bad-arch action"), bad::toString);
        Cli.Result notThere = Cli.run("seccomp", "eval", "--oci", "--arch", "amd64", "--kernel", "6.1", path, "--abi", "arm", "--name", "read");
        assertEquals(ExitCode.USAGE, notThere.rc(), notThere::toString);
        assertTrue(notThere.err().contains("--abi \"arm\" is not one of the profile's ABIs here: amd64"), notThere::toString);
    }

    /** {@code seccomp explain --oci}: the profile compiled as runc loads it, explained for its native ABI. */
    @Test
    void explainOciCompilesTheProfileFirst() {
        Cli.Result r = Cli.run("seccomp", "explain", "--oci", "--abis", "amd64,x86,x32", "--kernel", "6.1", "--no-listing", path);
        assertEquals(ExitCode.OK, r.rc(), r::toString);
        assertTrue(r.out().contains("instructions, explained for amd64 (audit arch 0xc000003e)"), r::toString);
        assertTrue(r.out().contains("x32 (nr 0x40000000)"), r::toString);
        Cli.Result arm = Cli.run("seccomp", "explain", "--oci", "--abis", "arm64,arm", "--kernel", "6.1", "--no-listing", path);
        assertTrue(arm.out().contains("explained for arm64 (audit arch 0xc00000b7)"), arm::toString);
    }
}
