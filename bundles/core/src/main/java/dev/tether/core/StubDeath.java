package dev.tether.core;

import dev.tether.api.StubDiedException;

/**
 * The {@link StubDiedException} that {@link Tracee} throws when it sees a stub thread die: what
 * died and how, and after it what the tracer saw (repeated faults, the registers at the exit
 * stop). What Tether was doing at the time is added once, by whoever catches it and knows
 * ({@link #during}): the injection's syscall name, "attach", ... So the wait and decode methods
 * carry no description, and none is built unless a stub died.
 */
final class StubDeath extends StubDiedException {
    private static final long serialVersionUID = 1L;
    private final String head;
    private final String detail;
    private final boolean described;

    StubDeath(String head, String detail, int pid, int tid, int waitStatus) {
        this(head, detail, pid, tid, waitStatus, false);
    }

    private StubDeath(String head, String detail, int pid, int tid, int waitStatus, boolean described) {
        super(head + detail, pid, tid, waitStatus);
        this.head = head;
        this.detail = detail;
        this.described = described;
    }

    /**
     * {@code e} with "during {@code what}" in its message, when it is a death that Tracee saw
     * and nobody described yet (the innermost catch knows best); otherwise {@code e} itself.
     */
    static StubDiedException during(StubDiedException e, String what) {
        if (!(e instanceof StubDeath) || what == null) {
            return e;
        }
        StubDeath d = (StubDeath) e;
        if (d.described) {
            return d;
        }
        StubDeath out = new StubDeath(d.head + " during " + what, d.detail, d.pid(), d.tid(), d.waitStatus(), true);
        out.setStackTrace(d.getStackTrace());
        for (Throwable s : d.getSuppressed()) {
            out.addSuppressed(s);
        }
        return out;
    }
}
