package dev.tether.api;

import java.util.List;

/**
 * What earlier fail-stop platforms left in this JVM: their stubs, stopped under ptrace, and the
 * tracer threads that hold them. A fail-stop platform that made stubs cannot be torn down (a
 * dying stub SIGKILLs the JVM: {@link FailureMode#FAIL_STOP}), so when it is replaced, its arch
 * bundle stops or its feature is uninstalled, they stay until the JVM exits. Only those still
 * alive are listed.
 *
 * @param platforms how many earlier fail-stop platforms left something alive
 * @param pids the process ids of their live stubs and subprocesses, ascending
 * @param tracerThreads how many of their tracer threads are alive (they own the stubs)
 */
public record FailStopOrphans(int platforms, List<Integer> pids, int tracerThreads) {
    /** Nothing left behind. */
    public static final FailStopOrphans NONE = new FailStopOrphans(0, List.of(), 0);

    public FailStopOrphans {
        if (platforms < 0 || tracerThreads < 0 || pids == null) {
            throw new IllegalArgumentException("orphan counts must be >= 0 and pids non-null: " + platforms + ", "
                    + pids + ", " + tracerThreads);
        }
        pids = List.copyOf(pids);
    }

    /** Whether nothing is left behind. */
    public boolean none() {
        return pids.isEmpty() && tracerThreads == 0;
    }

    /**
     * One line for operators, e.g. {@code 2 stub(s) (pids 4711 4712) and 1 tracer thread(s) of 1
     * earlier fail-stop platform(s), kept until the JVM exits}; {@code none} when nothing is left.
     */
    public String describe() {
        if (none()) {
            return "none";
        }
        StringBuilder sb = new StringBuilder().append(pids.size()).append(" stub(s)");
        if (!pids.isEmpty()) {
            sb.append(" (pids");
            pids.forEach(p -> sb.append(' ').append(p));
            sb.append(')');
        }
        return sb.append(" and ").append(tracerThreads).append(" tracer thread(s) of ").append(platforms)
                .append(" earlier fail-stop platform(s), kept until the JVM exits").toString();
    }
}
