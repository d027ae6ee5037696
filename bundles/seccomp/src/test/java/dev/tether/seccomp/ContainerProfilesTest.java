package dev.tether.seccomp;

import static org.junit.jupiter.api.Assertions.*;

import dev.tether.bpf.Interpreter;
import dev.tether.bpf.Program;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Docker's and Podman's default profiles compiled by Tether and by libseccomp (the oracle, in
 * binary-tree mode, {@code SCMP_FLTATR_CTL_OPTIMIZE = 2}): the same verdicts on every syscall number of the table,
 * on numbers outside it (x32, -1, random 32-bit numbers) and on generated arguments; then the
 * compiler's benchmark ({@link SeccompBench}), whose table this test prints and whose bounds it
 * checks: at most 0.8x libseccomp's executed instructions uniformly over the table and on the
 * nginx mix, never more than 2 more on any number, and no larger.
 */
class ContainerProfilesTest {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** The bound on executed instructions relative to libseccomp (both measures). */
    private static final double MAX_RATIO = 0.8;
    /** The most extra instructions Tether may execute on any one syscall number. */
    private static final int MAX_EXCESS = 2;

    @BeforeAll
    static void libseccomp() {
        ContainerProfiles.requireLibseccomp();
        System.out.println("libseccomp " + LibSeccomp.version() + " (oracle, SCMP_FLTATR_CTL_OPTIMIZE=2)");
    }

    private static Program libseccomp(ContainerProfiles.Arch arch, ContainerProfile.Resolved r, Policy p) {
        return LibSeccomp.compile(arch.auditArch(), p.defaultAction().value(), p.badArchAction().value(), r.libseccompRules());
    }

    private static int run(Program p, SeccompData d) {
        return Interpreter.run(p, d.toBytes(LE), LE).value();
    }

    @Test
    void tetherAndLibseccompGiveTheSameVerdicts() {
        long compared = 0;
        for (ContainerProfiles.Arch arch : ContainerProfiles.ARCHES) {
            SyscallTable table = ContainerProfiles.table(arch);
            for (Map.Entry<String, ContainerProfile.Resolved> e : ContainerProfiles.resolved(arch).entrySet()) {
                ContainerProfile.Resolved r = e.getValue();
                assertTrue(r.entries().size() > 250, e.getKey() + " resolves to " + r.entries().size() + " rules only");
                Policy p = r.policy();
                Program ours = SeccompCompiler.compile(p, table);
                Program theirs = libseccomp(arch, r, p);
                Random rnd = new Random(14);
                List<Integer> nrs = new ArrayList<>(table.all().values());
                for (int nr : new int[] {-1, -2, 0x3fffffff, 0x40000000, 0x40000000 | 1, 0x40000000 | 521, 0x7fffffff, 0x80000000,
                        ContainerProfiles.TABLE_PROBE, 0xfffffffe}) {
                    nrs.add(nr);
                }
                for (int i = 0; i < 20_000; i++) {
                    nrs.add(i % 2 == 0 ? rnd.nextInt() : rnd.nextInt(ContainerProfiles.TABLE_PROBE));
                }
                for (int nr : nrs) {
                    for (long[] args : SeccompBench.argVectors(r, nr, rnd, 48)) {
                        for (int auditArch : new int[] {arch.auditArch(), 0x40000003}) { // and AUDIT_ARCH_I386: a bad arch
                            SeccompData d = new SeccompData(nr, auditArch, rnd.nextBoolean() ? 0x7f00_0000_1000L : -0xa00000L, args);
                            int want = run(theirs, d);
                            assertEquals(want, run(ours, d), () -> e.getKey() + " " + arch.goArch() + ": " + d);
                            assertEquals(want, p.evaluate(d, table).value(), () -> e.getKey() + " " + arch.goArch() + ": " + d);
                            compared++;
                        }
                    }
                }
                System.out.println(e.getKey() + " " + arch.goArch() + ": " + r.entries().size() + " rules; names libseccomp "
                        + LibSeccomp.version() + " does not know on " + arch.goArch() + " (dropped, as runc does): " + r.dropped());
            }
        }
        System.out.println("compared " + compared + " inputs");
    }

    @Test
    void tetherExecutesAtMostFourFifthsOfLibseccompsInstructions() {
        List<SeccompBench.Row> rows = new ArrayList<>();
        for (ContainerProfiles.Arch arch : ContainerProfiles.ARCHES) {
            SyscallTable table = ContainerProfiles.table(arch);
            Map<Integer, Long> mix = ContainerProfiles.mix(table);
            for (Map.Entry<String, ContainerProfile.Resolved> e : ContainerProfiles.resolved(arch).entrySet()) {
                Policy p = e.getValue().policy();
                rows.add(SeccompBench.measure(e.getKey(), arch, e.getValue(), table, SeccompCompiler.compile(p, table),
                        libseccomp(arch, e.getValue(), p), mix, 2025));
            }
        }
        System.out.println("executed BPF instructions, Tether / libseccomp " + LibSeccomp.version() + " binary tree:");
        rows.forEach(System.out::println);
        for (SeccompBench.Row row : rows) {
            assertTrue(row.uniformRatio() <= MAX_RATIO, () -> "uniform: " + row);
            assertTrue(row.mixRatio() <= MAX_RATIO, () -> "nginx mix: " + row);
            assertTrue(row.worstExcess() <= MAX_EXCESS, () -> "worst number: " + row);
            assertTrue(row.worstOutside() <= MAX_EXCESS, () -> "worst number outside the table: " + row);
            assertTrue(row.tetherSize() <= row.libseccompSize(), () -> "size: " + row);
        }
    }
}
