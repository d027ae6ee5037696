package dev.tether.seccomp;

import dev.tether.bpf.Bpf;
import dev.tether.bpf.Interpreter;
import dev.tether.bpf.Program;
import dev.tether.bpf.SockFilter;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Cost statistics of a seccomp program, for {@code tether seccomp explain}: its size and, for
 * every syscall number 0..{@code maxNr}, how many BPF instructions it executes. For each number
 * the program runs first with arch = the native audit arch, IP 0 and all arguments 0; then, for
 * every comparison constant k the program tests an argument or IP word against on the way, with
 * that word set to k-1, k and k+1 (keeping the other words of the input that reached the
 * comparison), until no new input appears or {@value #MAX_INPUTS_PER_SYSCALL} inputs were run.
 * This reaches every rule whose matchers compare with constants, so max is the worst case over
 * the program's own decision points. On an arch with a {@link ForeignAbi} (x32 on amd64), one
 * syscall of it (the first number, {@code syscallBit}) is run too.
 */
public final class Explain {
    /** Highest syscall number explained by default. */
    public static final int DEFAULT_MAX_NR = 1023;
    /**
     * The highest syscall number that can be explained: every number up to it is run, so the
     * range is bounded (Linux numbers stay below 1024; x32's start at 0x40000000: one of them
     * is run on its own, see {@link Report#foreignAbiExecuted}).
     */
    public static final int MAX_NR = 65535;
    /** Cap on the inputs explored per syscall number. */
    public static final int MAX_INPUTS_PER_SYSCALL = 256;
    /** seccomp_data is in the native order: little-endian on amd64 and arm64. */
    private static final ByteOrder NATIVE = ByteOrder.LITTLE_ENDIAN;

    private Explain() {
    }

    /**
     * The cost of one syscall number.
     *
     * @param nr the syscall number
     * @param inputs how many inputs were run
     * @param max the most instructions any of them executed
     * @param mean the mean over them
     * @param min the fewest
     */
    public record SyscallCost(int nr, int inputs, int min, int max, double mean) {
    }

    /**
     * The statistics.
     *
     * @param instructions program size
     * @param auditArch the native arch used
     * @param badArchExecuted instructions executed for a foreign arch
     * @param perSyscall one entry per syscall number 0..maxNr
     * @param max the most instructions executed by any input
     * @param mean the mean over all inputs run
     * @param inputs how many inputs were run in total
     * @param foreignAbi the arch's foreign ABI whose first syscall number was run, or null
     * @param foreignAbiExecuted instructions executed for that number (zero arguments), or -1
     */
    public record Report(int instructions, int auditArch, int badArchExecuted, List<SyscallCost> perSyscall,
            int max, double mean, int inputs, ForeignAbi foreignAbi, int foreignAbiExecuted) {
        /** Copies the list. */
        public Report {
            perSyscall = List.copyOf(perSyscall);
        }

        /**
         * A readable summary: totals, then the {@code top} syscalls with the most expensive worst
         * case (names from {@code table} when given).
         *
         * @throws IllegalArgumentException if {@code top} is negative
         */
        public String format(SyscallTable table, int top) {
            if (top < 0) {
                throw new IllegalArgumentException("the number of syscalls to list must be 0 or more, got " + top);
            }
            StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "instructions: %d (limit %d)%n", instructions, Bpf.BPF_MAXINSNS));
            sb.append(String.format(Locale.ROOT, "syscalls 0..%d: %d inputs, executed max %d, mean %.2f; foreign arch: %d",
                    perSyscall.size() - 1, inputs, max, mean, badArchExecuted));
            if (foreignAbi != null) {
                sb.append(String.format(Locale.ROOT, "; %s (nr 0x%x): %d", foreignAbi.name(), foreignAbi.syscallBit(),
                        foreignAbiExecuted));
            }
            sb.append(System.lineSeparator());
            List<SyscallCost> sorted = new ArrayList<>(perSyscall);
            sorted.sort((a, b) -> a.max() != b.max() ? Integer.compare(b.max(), a.max()) : Integer.compare(a.nr(), b.nr()));
            sb.append(String.format(Locale.ROOT, "%-6s %-24s %6s %6s %8s%n", "nr", "name", "inputs", "max", "mean"));
            for (SyscallCost c : sorted.subList(0, Math.min(top, sorted.size()))) {
                Optional<String> name = table == null ? Optional.empty() : table.name(c.nr());
                sb.append(String.format(Locale.ROOT, "%-6d %-24s %6d %6d %8.2f%n", c.nr(), name.orElse("-"), c.inputs(), c.max(), c.mean()));
            }
            return sb.toString();
        }
    }

    /** {@link #of(Program, int, int)} for syscall numbers 0..1023. */
    public static Report of(Program program, int auditArch) {
        return of(program, auditArch, DEFAULT_MAX_NR);
    }

    /**
     * The statistics of {@code program} for syscall numbers 0..maxNr on {@code auditArch}.
     *
     * @throws IllegalArgumentException if {@code maxNr} is outside 0..{@value #MAX_NR}
     */
    public static Report of(Program program, int auditArch, int maxNr) {
        return of(program, auditArch, null, maxNr);
    }

    /**
     * The statistics of {@code program} for syscall numbers 0..maxNr on {@code table}'s arch, plus
     * the first syscall number of its {@link ForeignAbi} if it has one.
     *
     * @throws IllegalArgumentException if {@code maxNr} is outside 0..{@value #MAX_NR}
     */
    public static Report of(Program program, SyscallTable table, int maxNr) {
        return of(program, table.auditArch(), table.foreignAbi().orElse(null), maxNr);
    }

    private static Report of(Program program, int auditArch, ForeignAbi foreignAbi, int maxNr) {
        if (maxNr < 0 || maxNr > MAX_NR) {
            // (nr <= Integer.MAX_VALUE is always true: the loop below would never end)
            throw new IllegalArgumentException("highest syscall number " + maxNr + " is out of range 0.." + MAX_NR);
        }
        List<SyscallCost> costs = new ArrayList<>();
        long total = 0;
        int inputs = 0;
        int max = 0;
        for (int nr = 0; nr <= maxNr; nr++) {
            List<Integer> executed = explore(program, SeccompData.of(nr, auditArch, 0));
            int mx = Collections.max(executed);
            int mn = Collections.min(executed);
            long sum = 0;
            for (int e : executed) {
                sum += e;
            }
            costs.add(new SyscallCost(nr, executed.size(), mn, mx, (double) sum / executed.size()));
            total += sum;
            inputs += executed.size();
            max = Math.max(max, mx);
        }
        int badArch = Interpreter.run(program, SeccompData.of(0, ~auditArch, 0).toBytes(NATIVE), NATIVE).executed();
        int foreign = foreignAbi == null ? -1
                : Interpreter.run(program, SeccompData.of(foreignAbi.syscallBit(), auditArch, 0).toBytes(NATIVE), NATIVE).executed();
        return new Report(program.size(), auditArch, badArch, costs, max, inputs == 0 ? 0 : (double) total / inputs, inputs,
                foreignAbi, foreign);
    }

    /** Runs the inputs reachable from {@code base} through comparison constants; their costs. */
    static List<Integer> explore(Program p, SeccompData base) {
        List<Integer> out = new ArrayList<>();
        Set<SeccompData> seen = new HashSet<>();
        Deque<SeccompData> queue = new ArrayDeque<>();
        queue.add(base);
        seen.add(base);
        while (!queue.isEmpty() && out.size() < MAX_INPUTS_PER_SYSCALL) {
            SeccompData d = queue.poll();
            Interpreter.Trace t = Interpreter.trace(p, d.toBytes(NATIVE), NATIVE);
            out.add(t.result().executed());
            int word = -1;
            for (int pc : t.pcs()) {
                SockFilter f = p.get(pc);
                if (f.code() == (Bpf.BPF_LD | Bpf.BPF_W | Bpf.BPF_ABS)) {
                    word = f.k();
                } else if (Bpf.isConditionalJump(f.code()) && Bpf.srcOf(f.code()) == Bpf.BPF_K
                        && word >= SeccompData.OFFSET_IP && word < SeccompData.SIZE) {
                    for (int delta = -1; delta <= 1; delta++) {
                        SeccompData v = withWord(d, word, f.k() + delta);
                        if (seen.add(v)) {
                            queue.add(v);
                        }
                    }
                } else if (Bpf.classOf(f.code()) != Bpf.BPF_JMP && Bpf.classOf(f.code()) != Bpf.BPF_ALU) {
                    word = -1; // A no longer holds a seccomp_data word
                }
            }
        }
        return out;
    }

    /** {@code d} with the 32-bit word at {@code offset} (8..60) replaced. */
    static SeccompData withWord(SeccompData d, int offset, int value) {
        long[] args = d.argsArray();
        long ip = d.instructionPointer();
        int slot = (offset - SeccompData.OFFSET_IP) / 8; // 0 = ip, 1.. = args
        boolean high = (offset & 4) != 0;
        long old = slot == 0 ? ip : args[slot - 1];
        long v = Integer.toUnsignedLong(value);
        long updated = high ? (old & 0xffffffffL) | (v << 32) : (old & 0xffffffff00000000L) | v;
        if (slot == 0) {
            ip = updated;
        } else {
            args[slot - 1] = updated;
        }
        return new SeccompData(d.nr(), d.arch(), ip, args);
    }
}
