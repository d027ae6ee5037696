package dev.tether.seccomp;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The test-only profile reader that feeds the libseccomp comparison: Docker's resolution rules. */
class ContainerProfileTest {
    private static final String PROFILE = """
            {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38, "syscalls": [
              {"names": ["read", "no_such_syscall"], "action": "SCMP_ACT_ALLOW"},
              {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64"]}},
              {"names": ["write"], "action": "SCMP_ACT_ALLOW", "excludes": {"arches": ["amd64"]}},
              {"names": ["chroot"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_CHROOT"]}},
              {"names": ["mount"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
              {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
              {"names": ["bpf"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "7.0"}},
              {"names": ["close"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
              {"names": ["kill"], "action": "SCMP_ACT_ALLOW",
               "args": [{"index": 1, "value": 9, "op": "SCMP_CMP_NE"}, {"index": 1, "value": 19, "op": "SCMP_CMP_NE"}]},
              {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
               "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]}
            ]}""";

    @BeforeAll
    static void libseccomp() {
        ContainerProfiles.requireLibseccomp();
    }

    @Test
    void resolvesAsDockerAndRuncDo() {
        ContainerProfile.Resolved r = ContainerProfile.parse("inline", PROFILE)
                .resolve("amd64", ContainerProfiles.AMD64.auditArch(), Set.of("CAP_SYS_CHROOT"), new int[] {6, 1});
        assertEquals(Action.errno(38), r.defaultAction());
        List<String> names = r.entries().stream().map(ContainerProfile.Entry::name).toList();
        // write: excluded arch; bpf: kernel too old; close: the default action adds nothing
        assertEquals(List.of("read", "arch_prctl", "chroot", "mount", "ptrace", "kill", "kill", "clone"), names);
        assertEquals(Set.of("no_such_syscall"), r.dropped());
        // two conditions on argument 1: two OR-ed rules (runc), not one AND
        Policy p = r.policy();
        SyscallTable t = ContainerProfiles.table(ContainerProfiles.AMD64);
        int kill = t.require("kill");
        int arch = ContainerProfiles.AMD64.auditArch();
        assertEquals(Action.ALLOW, p.evaluate(SeccompData.of(kill, arch, 0, 1, 9), t), "9 != 19");
        assertEquals(Action.ALLOW, p.evaluate(SeccompData.of(kill, arch, 0, 1, 15), t));
        // masked equality: value is the mask, valueTwo the value
        int clone = t.require("clone");
        assertEquals(Action.ALLOW, p.evaluate(SeccompData.of(clone, arch, 0, 0x11), t));
        assertEquals(Action.errno(38), p.evaluate(SeccompData.of(clone, arch, 0, 0x10000000), t), "CLONE_NEWUSER");
        assertEquals(Action.errno(1), p.evaluate(SeccompData.of(t.require("mount"), arch, 0), t));
        // on arm64 arch_prctl is not included, write is
        ContainerProfile.Resolved a = ContainerProfile.parse("inline", PROFILE)
                .resolve("arm64", ContainerProfiles.ARM64.auditArch(), Set.of(), new int[] {6, 1});
        List<String> armNames = a.entries().stream().map(ContainerProfile.Entry::name).toList();
        assertTrue(armNames.contains("write") && !armNames.contains("arch_prctl") && !armNames.contains("chroot"), armNames::toString);
    }
}
