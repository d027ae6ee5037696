package dev.tether.seccomp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.bpf.Program;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class OciResolverTest {
    static final SyscallTable AMD64 = MultiArchCompilerTest.AMD64;
    static final Map<String, SyscallTable> TABLES = Map.of("amd64", AMD64, "x86", CompatSyscallTables.i386(),
            "x32", CompatSyscallTables.x32(), "arm", CompatSyscallTables.arm());
    static final int X86_64 = Fixtures.AUDIT_ARCH_X86_64;
    static final int I386 = CompatSyscallTables.AUDIT_ARCH_I386;

    static OciResolver.Options opts(String nat, List<String> arches, Set<String> caps, String kernel, boolean strict) {
        return new OciResolver.Options(nat, arches, caps, OciResolver.KernelVersion.parse(kernel), strict);
    }

    static OciResolver.Options dflt() {
        return opts("amd64", List.of(), Set.copyOf(OciResolver.DOCKER_DEFAULT_CAPS), "6.1", false);
    }

    static OciResolver.Resolution resolve(String json, OciResolver.Options o) {
        return OciResolver.resolve(OciProfile.parse(json), o, TABLES);
    }

    static int eval(OciResolver.Resolution res, int nr, int arch, long... args) {
        SeccompData d = SeccompData.of(nr, arch, 0, args);
        int expected = res.policy().evaluate(d).value();
        Program p = MultiArchCompiler.compile(res.policy());
        assertEquals(expected, MultiArchCompilerTest.run(p, d), "program vs reference on " + d);
        return expected;
    }

    static final String PROFILE = """
            {
              "defaultAction": "SCMP_ACT_ERRNO",
              "defaultErrnoRet": 1,
              "archMap": [
                {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
                {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}
              ],
              "syscalls": [
                {"names": ["read", "write", "close", "futex_wake", "no_such_call"], "action": "SCMP_ACT_ALLOW"},
                {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
                {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 131072, "op": "SCMP_CMP_EQ"}]},
                {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
                {"names": ["mmap"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
                {"names": ["open"], "action": "SCMP_ACT_ALLOW", "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
                {"names": ["ioctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["arm64"]}},
                {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
                 "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
                {"names": ["clone"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38,
                 "args": [{"index": 0, "value": 2114060288, "valueTwo": 268435456, "op": "SCMP_CMP_MASKED_EQ"}]},
                {"names": ["open"], "action": "SCMP_ACT_ERRNO", "comment": "same as the default: skipped by runc"}
              ]
            }
            """;

    @Test
    void dockerStyleResolutionForAmd64() {
        OciResolver.Resolution res = resolve(PROFILE, dflt());
        assertEquals(List.of("amd64", "x86", "x32"), res.policy().parts().stream().map(p -> p.table().arch()).toList());
        int eperm = Action.errno(1).value();
        assertEquals(Action.RET_ALLOW, eval(res, 0, X86_64));
        assertEquals(Action.RET_ALLOW, eval(res, CompatSyscallTables.i386().require("read"), I386));
        assertEquals(Action.RET_ALLOW, eval(res, CompatSyscallTables.x32().require("read"), X86_64));
        assertEquals(Action.RET_ALLOW, eval(res, CompatSyscallTables.i386().require("futex_wake"), I386));
        assertEquals(Action.RET_ALLOW, eval(res, 135, X86_64, 8));
        assertEquals(Action.RET_ALLOW, eval(res, 135, X86_64, 0x20000));
        assertEquals(eperm, eval(res, 135, X86_64, 9));
        assertEquals(Action.RET_ALLOW, eval(res, 101, X86_64)); // minKernel 4.8 <= 6.1
        assertEquals(eperm, eval(res, 9, X86_64)); // mmap needs CAP_SYS_ADMIN
        assertEquals(Action.RET_ALLOW, eval(res, 2, X86_64)); // open: excluded only with CAP_SYS_ADMIN
        assertEquals(eperm, eval(res, 16, X86_64)); // ioctl: arm64 only
        assertEquals(Action.RET_ALLOW, eval(res, 56, X86_64, 0x11));
        assertEquals(Action.errno(38).value(), eval(res, 56, X86_64, 0x10000000));
        assertEquals(Action.RET_KILL_THREAD, eval(res, 0, Fixtures.AUDIT_ARCH_AARCH64)); // libseccomp's bad-arch default
        // the unknown name is dropped with one warning per arch
        assertTrue(res.warnings().stream().anyMatch(w -> w.startsWith("syscalls unknown on amd64") && w.contains("no_such_call")),
                res.warnings().toString());
        // which entry decided
        MultiArchPolicy.Decision d = res.policy().decide(SeccompData.of(56, X86_64, 0, 0x10000000));
        assertEquals("syscalls[8]", res.entry(d));
        assertNull(res.entry(res.policy().decide(SeccompData.of(16, X86_64, 0))));
    }

    @Test
    void capsKernelAndArchChangeTheResult() {
        OciResolver.Resolution admin = resolve(PROFILE, opts("amd64", List.of("amd64"), Set.of("CAP_SYS_ADMIN"), "4.4", false));
        assertEquals(1, admin.policy().parts().size());
        int eperm = Action.errno(1).value();
        assertEquals(Action.RET_ALLOW, eval(admin, 9, X86_64));
        assertEquals(eperm, eval(admin, 2, X86_64));
        assertEquals(eperm, eval(admin, 101, X86_64)); // kernel 4.4 < 4.8
        // x32 not listed: its numbers get the bad-arch action (the amd64 guard)
        assertEquals(Action.RET_KILL_THREAD, eval(admin, 0x40000000, X86_64));
        OciResolver.Resolution arm = resolve(PROFILE, opts("arm64", List.of("arm"), Set.of(), "6.1", false));
        int armIoctl = CompatSyscallTables.arm().require("ioctl");
        assertEquals(Action.RET_ALLOW, eval(arm, armIoctl, CompatSyscallTables.AUDIT_ARCH_ARM));
    }

    @Test
    void strictMakesUnknownNamesErrors() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> resolve(PROFILE, opts("amd64", List.of(), Set.of(), "6.1", true)));
        assertTrue(e.getMessage().contains("no_such_call"), e.getMessage());
    }

    @Test
    void conflictingActionsAreAnErrorNamingBothEntries() {
        String json = """
                {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
                  {"names": ["write"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 3, "op": "SCMP_CMP_GT"}]},
                  {"names": ["write"], "action": "SCMP_ACT_KILL", "args": [{"index": 0, "value": 10, "op": "SCMP_CMP_LT"}]}
                ]}""";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> resolve(json, dflt()));
        assertTrue(e.getMessage().contains("syscalls[0]") && e.getMessage().contains("syscalls[1]") && e.getMessage().contains("write"),
                e.getMessage());
        // disjoint ranges are fine
        OciResolver.Resolution ok = resolve(json.replace("\"value\": 10", "\"value\": 4").replace("SCMP_CMP_LT", "SCMP_CMP_LE")
                .replace("\"value\": 3", "\"value\": 4"), opts("amd64", List.of("amd64"), Set.of(), "6.1", false));
        assertEquals(Action.RET_KILL_THREAD, eval(ok, 1, X86_64, 4));
        assertEquals(Action.errno(1).value(), eval(ok, 1, X86_64, 5));
    }

    @Test
    void repeatedIndexBecomesAnOrAsInRunc() {
        String json = """
                {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
                  {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [
                    {"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]},
                  {"names": ["write"], "action": "SCMP_ACT_ALLOW", "args": [
                    {"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}, {"index": 1, "value": 2, "op": "SCMP_CMP_EQ"}]}
                ]}""";
        OciResolver.Resolution res = resolve(json, opts("amd64", List.of("amd64"), Set.of(), "6.1", false));
        assertEquals(Action.RET_ALLOW, eval(res, 0, X86_64, 1));
        assertEquals(Action.RET_ALLOW, eval(res, 0, X86_64, 2));
        assertEquals(Action.errno(1).value(), eval(res, 0, X86_64, 3));
        assertEquals(Action.RET_ALLOW, eval(res, 1, X86_64, 1, 2));
        assertEquals(Action.errno(1).value(), eval(res, 1, X86_64, 1, 3));
    }

    @Test
    void thirtyTwoBitArchCutsValues() {
        String json = """
                {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86"], "syscalls": [
                  {"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 4294967301, "op": "SCMP_CMP_EQ"}]}
                ]}""";
        OciResolver.Resolution res = resolve(json, dflt());
        int read32 = CompatSyscallTables.i386().require("read");
        // 4294967301 = 0x1_0000_0005: an i386 filter compares its low word, 5
        assertEquals(Action.errno(1).value(), eval(res, read32, I386, 5));
        assertEquals(Action.errno(1).value(), eval(res, read32, I386, 0x7_0000_0005L));
        assertEquals(Action.RET_ALLOW, eval(res, 0, X86_64, 5));
        assertEquals(Action.errno(1).value(), eval(res, 0, X86_64, 0x1_0000_0005L));
    }

    @Test
    void badInputGetsClearErrors() {
        assertMessage("unknown key \"defaultactoin\"", "{\"defaultactoin\": \"SCMP_ACT_ALLOW\"}");
        assertMessage("missing \"defaultAction\"", "{\"syscalls\": []}");
        assertMessage("out of range 0..5", "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"action\":"
                + " \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 6, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}");
        assertMessage("unknown operator \"SCMP_CMP_XX\"", "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"],"
                + " \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_XX\"}]}]}");
        assertMessage("both \"name\" and \"names\"", "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"name\": \"read\","
                + " \"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\"}]}");
        assertMessage("bad kernel version", "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"],"
                + " \"action\": \"SCMP_ACT_ERRNO\", \"includes\": {\"minKernel\": \"five\"}}]}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> resolve(
                "{\"defaultAction\": \"SCMP_ACT_MAYBE\"}", dflt()));
        assertTrue(e.getMessage().contains("unknown action \"SCMP_ACT_MAYBE\""), e.getMessage());
    }

    static void assertMessage(String part, String json) {
        RuleFileException e = assertThrows(RuleFileException.class, () -> OciProfile.parse(json));
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }
}
