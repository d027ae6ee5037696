package dev.tether.core;

import dev.tether.api.PlatformFacts;
import dev.tether.api.Stub;
import dev.tether.api.Subprocess;
import dev.tether.seccomp.SyscallTable;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * What a stub or subprocess needs of the platform that made it, and no more: the platform's
 * facts, the syscall table, its observer, and where to report a stub that is gone or a
 * subprocess to release, destroy or reap. {@link StubImpl} and {@link SubprocessImpl} hold this
 * instead of the platform, so that they cannot reach its other parts. The callbacks take the API
 * types (the platform's own {@code StubImpl} and {@code SubprocessImpl} come back to it), so that
 * this record depends on neither class.
 *
 * @param facts what the platform found at start (stub page, page size, failure mode, ...)
 * @param table the arch's syscall table
 * @param maximumUserAddress the end of this kernel's user address space (TASK_SIZE), where a
 *     subprocess's unmapping stops
 * @param listeners the platform's current observer (it changes while the platform runs)
 * @param forget a stub that is closed or dead leaves the platform's list of stubs
 * @param release a subprocess's {@code close()}: pool it or destroy it
 * @param destroy kill a subprocess and reap it through the master
 * @param reapDead kill and reap a subprocess found dead, reporting (never throwing) a failure
 */
record PlatformContext(PlatformFacts facts, SyscallTable table, long maximumUserAddress,
        Supplier<PlatformListener> listeners, Consumer<Stub> forget, Consumer<Subprocess> release,
        Consumer<Subprocess> destroy, Consumer<Subprocess> reapDead) {

    /** The platform's current observer. */
    PlatformListener listener() {
        return listeners.get();
    }

    /** The number of the syscall {@code name} in the arch's table; IllegalArgumentException if it has none. */
    int syscallNumber(String name) {
        return table.require(name);
    }

    /** A syscall number as error messages name it: {@code "getpid (39)"}, or {@code "syscall 999"}. */
    String describeSyscall(long nr) {
        Optional<String> n = nr >= 0 && nr <= Integer.MAX_VALUE ? table.name((int) nr) : Optional.empty();
        return n.map(s -> s + " (" + nr + ")").orElse("syscall " + nr);
    }
}
