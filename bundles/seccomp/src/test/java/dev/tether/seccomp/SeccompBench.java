package dev.tether.seccomp;

import dev.tether.bpf.Interpreter;
import dev.tether.bpf.Program;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The compiler's benchmark: executed BPF instructions (counted by the repo's interpreter) of
 * Tether's program and libseccomp's binary-tree program for the same resolved profile, per
 * syscall number, and two averages: uniformly over the syscall table's numbers, and weighted by
 * a server's syscall mix ({@code profiles/nginx-mix.txt}). Where a syscall's rules test
 * arguments, its count is the mean over the same generated argument vectors for both programs.
 * Deterministic: a run is a pure function of the profiles, the tables and the seed.
 */
final class SeccompBench {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Numbers outside the syscall tables: past their ends, x32's (x32 ptrace is 0x40000209), -1, the top. */
    static final int[] OUTSIDE = {500, 1000, 0x3fffffff, 0x40000000, 0x40000209, 0x7fffffff, 0x80000000, 0xfffffffe, -1};

    private SeccompBench() {
    }

    /** One measured profile on one arch. */
    record Row(String profile, String arch, int tetherSize, int libseccompSize, double tetherUniform, double libseccompUniform,
            double tetherMix, double libseccompMix, int worstExcess, int worstNr, int worstOutside, long inputs) {
        double uniformRatio() {
            return tetherUniform / libseccompUniform;
        }

        double mixRatio() {
            return tetherMix / libseccompMix;
        }

        @Override
        public String toString() {
            return String.format("%-7s %-6s size %4d / %4d = %.2f   uniform %6.2f / %6.2f = %.2f   mix %6.2f / %6.2f = %.2f"
                    + "   worst nr %d: %+d (outside the table: %+d)", profile, arch, tetherSize, libseccompSize,
                    (double) tetherSize / libseccompSize, tetherUniform, libseccompUniform, uniformRatio(), tetherMix, libseccompMix,
                    mixRatio(), worstNr, worstExcess, worstOutside);
        }
    }

    /** Argument vectors for syscall {@code nr}: zeros, the rules' own constants and their neighbours, random words. */
    static List<long[]> argVectors(ContainerProfile.Resolved r, int nr, Random rnd, int randomCount) {
        Set<Long> interesting = new LinkedHashSet<>(List.of(0L, 1L, -1L, 0xffffffffL, 0x1_0000_0000L));
        for (ContainerProfile.Entry e : r.entries()) {
            if (e.nr() == nr) {
                for (ContainerProfile.Cond c : e.conds()) {
                    for (long v : new long[] {c.value(), c.valueTwo()}) {
                        interesting.add(v);
                        interesting.add(v + 1);
                        interesting.add(v - 1);
                        interesting.add(v | (1L << 32));
                        interesting.add(v ^ Long.lowestOneBit(c.value() == 0 ? 1 : c.value()));
                    }
                }
            }
        }
        List<Long> vals = new ArrayList<>(interesting);
        List<long[]> out = new ArrayList<>();
        out.add(new long[Rule.MAX_ARGS]);
        boolean hasConds = r.entries().stream().anyMatch(e -> e.nr() == nr && !e.conds().isEmpty());
        int n = hasConds ? randomCount : 1;
        for (int i = 0; i < n; i++) {
            long[] a = new long[Rule.MAX_ARGS];
            for (int j = 0; j < a.length; j++) {
                a[j] = rnd.nextInt(3) == 0 ? rnd.nextLong() : vals.get(rnd.nextInt(vals.size()));
            }
            out.add(a);
        }
        return out;
    }

    /** Mean executed instructions of {@code p} on syscall {@code nr} over {@code args}. */
    static double cost(Program p, int auditArch, int nr, List<long[]> args) {
        long sum = 0;
        for (long[] a : args) {
            sum += Interpreter.run(p, SeccompData.of(nr, auditArch, 0x7f00_0000_1000L, a).toBytes(LE), LE).executed();
        }
        return (double) sum / args.size();
    }

    /**
     * Measures one profile on one arch: Tether's program ({@code tether}) against libseccomp's,
     * both for {@code r}. Every number of the table (and the mix) is costed with the same
     * argument vectors for both.
     */
    static Row measure(String profile, ContainerProfiles.Arch arch, ContainerProfile.Resolved r, SyscallTable table,
            Program tether, Program libseccomp, Map<Integer, Long> mix, long seed) {
        Random rnd = new Random(seed);
        double tu = 0;
        double lu = 0;
        int worst = Integer.MIN_VALUE;
        int worstNr = -1;
        long inputs = 0;
        Set<Integer> nrs = new LinkedHashSet<>(table.all().values());
        nrs.addAll(mix.keySet());
        Map<Integer, double[]> costs = new HashMap<>();
        for (int nr : nrs) {
            List<long[]> args = argVectors(r, nr, rnd, 24);
            double t = cost(tether, arch.auditArch(), nr, args);
            double l = cost(libseccomp, arch.auditArch(), nr, args);
            inputs += 2L * args.size();
            costs.put(nr, new double[] {t, l});
            int excess = (int) Math.ceil(t - l);
            if (excess > worst) {
                worst = excess;
                worstNr = nr;
            }
        }
        for (int nr : table.all().values()) {
            tu += costs.get(nr)[0];
            lu += costs.get(nr)[1];
        }
        int count = table.all().size();
        double tm = 0;
        double lm = 0;
        long total = 0;
        for (Map.Entry<Integer, Long> e : mix.entrySet()) {
            tm += costs.get(e.getKey())[0] * e.getValue();
            lm += costs.get(e.getKey())[1] * e.getValue();
            total += e.getValue();
        }
        // numbers no table lists: past the end, x32's, -1, the top of the 32 bits
        int outside = Integer.MIN_VALUE;
        for (int nr : OUTSIDE) {
            List<long[]> zero = List.of(new long[Rule.MAX_ARGS]);
            outside = Math.max(outside, (int) (cost(tether, arch.auditArch(), nr, zero) - cost(libseccomp, arch.auditArch(), nr, zero)));
        }
        return new Row(profile, arch.goArch(), tether.size(), libseccomp.size(), tu / count, lu / count, tm / total, lm / total,
                worst, worstNr, outside, inputs);
    }
}
