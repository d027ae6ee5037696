package dev.tether.shell.commands;

import dev.tether.api.Registers;
import dev.tether.api.Stub;
import dev.tether.api.StubPlatform;
import dev.tether.api.Subprocess;
import dev.tether.api.SyscallTarget;
import dev.tether.api.TetherException;
import java.util.ArrayList;
import java.util.Locale;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The stubs and subprocesses that {@code tether:spawn} made, by pid, and the one
 * {@link CommandThread} that does everything that touches them (it becomes the tracer of the
 * console's stub thread in each subprocess, so it must outlive them; a shell's session thread
 * does not).
 */
public final class Handles {
    /** What {@code tether:spawn} makes. */
    public enum Kind {
        /** A subprocess forked from the platform's master stub (gVisor's {@code subprocess.createStub}). */
        SUBPROCESS,
        /** A stub created from the JVM ({@code StubPlatform.createStub}). */
        STUB;

        /** {@code subprocess} or {@code stub}, any case; anything else is an IllegalArgumentException naming it. */
        public static Kind parse(String text) {
            switch (text.toLowerCase(Locale.ROOT)) {
                case "subprocess":
                    return SUBPROCESS;
                case "stub":
                    return STUB;
                default:
                    throw new IllegalArgumentException("tether:spawn: unknown kind \"" + text + "\": subprocess or stub");
            }
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * A stub or subprocess made by {@code spawn}, with the platform that made it, what to call it
     * and how {@code kill} ends it (a stub is closed; a subprocess is destroyed, as closing it
     * would pool it).
     */
    record Made(SyscallTarget handle, StubPlatform platform, Kind kind, Runnable kill, AtomicBoolean endReported) {
        Made(SyscallTarget handle, StubPlatform platform, Kind kind, Runnable kill) {
            this(handle, platform, kind, kill, new AtomicBoolean()); // set once a command told the user it ended
        }

        boolean alive() {
            return handle.alive();
        }
    }

    private final ConcurrentMap<Integer, Made> made = new ConcurrentHashMap<>();
    private final CommandThread worker = new CommandThread("tether-console");

    Handles() {
    }

    /** The pids of what the commands made and still hold, in order (for completion and listings). */
    public SortedSet<Integer> pids() {
        return new TreeSet<>(made.keySet());
    }

    boolean isMade(int pid) {
        return made.containsKey(pid);
    }

    int size() {
        return made.size();
    }

    /** Makes a stub or subprocess of {@code p}, proves it runs (getpid), keeps it; returns its pid. */
    int spawn(StubPlatform p, Kind kind) {
        Made m = worker.call(() -> {
            Made created;
            if (kind == Kind.SUBPROCESS) {
                Subprocess s = p.newSubprocess();
                created = new Made(s, p, kind, s::destroy);
            } else {
                Stub s = p.createStub();
                created = new Made(s, p, kind, s::close);
            }
            SyscallTarget h = created.handle();
            try {
                // proves it runs, and makes this thread the tracer of the subprocess's stub thread
                long self = h.syscall("getpid");
                if (self != h.pid()) {
                    throw new TetherException(kind + " " + h.pid() + " answered getpid() with " + self);
                }
            } catch (RuntimeException e) {
                created.kill().run();
                throw e;
            }
            return created;
        });
        int pid = m.handle().pid();
        made.put(pid, m);
        return pid;
    }

    /**
     * The stub or subprocess {@code id}: a live one, or one whose end no command has reported yet.
     * The platform may notice a death on a thread of its own (a spare stub thread's clone, say)
     * before any command touches the handle; the first command to use it must still get the typed
     * death ({@link dev.tether.api.StubDiedException}), which the handle keeps throwing once dead.
     *
     * @throws IllegalArgumentException naming the pids there are, when {@code id} is not one, or
     *     saying how it died, when a command already reported that
     */
    Made get(int id, String command) {
        Made m = made.get(id);
        if (m == null) {
            throw new IllegalArgumentException(command + ": no stub or subprocess " + id + " made by tether:spawn"
                    + (made.isEmpty() ? " (none is alive; make one with tether:spawn)" : " (have " + new TreeMap<>(made).keySet() + ")"));
        }
        if (!m.alive() && m.endReported().get()) {
            made.remove(id, m);
            throw new IllegalArgumentException(command + ": " + m.kind() + " " + id + " is gone: " + m.handle().death());
        }
        return m;
    }

    long syscall(Made m, int nr, long[] args) {
        return use(m, () -> m.handle().syscall(nr, args));
    }

    Registers registers(Made m) {
        return use(m, () -> m.handle().registers());
    }

    /** Runs {@code op} on the console thread; a handle whose end it threw has had its end reported. */
    private <T> T use(Made m, java.util.concurrent.Callable<T> op) {
        try {
            return worker.call(op);
        } catch (RuntimeException e) {
            if (!m.alive()) {
                m.endReported().set(true);
            }
            throw e;
        }
    }

    /** Kills and reaps {@code m} (on the console thread, its stub thread's tracer) and forgets it. */
    void kill(int id, Made m) {
        worker.call(() -> {
            m.kill().run();
            return null;
        });
        made.remove(id, m);
    }

    /** Forgets handles whose stub or subprocess is gone (the platform was replaced, or a stub died). */
    void pruneDead() {
        made.values().removeIf(m -> !m.alive());
    }

    /** Forgets what {@code p} made: it tears them down itself. */
    void forget(StubPlatform p) {
        made.values().removeIf(m -> m.platform() == p);
    }

    /** Destroys everything still held (one warning line each that cannot be), then stops the console thread. */
    void close(java.util.function.Consumer<String> warn) throws InterruptedException {
        try {
            worker.call(() -> {
                for (Integer pid : new ArrayList<>(made.keySet())) {
                    Made m = made.remove(pid);
                    try {
                        m.kill().run();
                    } catch (RuntimeException e) {
                        warn.accept("tether console: could not tear down " + m.kind() + " " + pid + ": " + e.getMessage());
                    }
                }
                return null;
            });
        } finally {
            worker.stop();
        }
    }
}
