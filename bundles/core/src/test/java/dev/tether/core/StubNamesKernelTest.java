package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.api.FailureMode;
import dev.tether.api.Stub;
import dev.tether.api.Subprocess;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What {@code ps} calls Tether's processes: the trampoline names every stub {@code tether-stub}
 * (prctl PR_SET_NAME before the filter), and forks and threads inherit it (comm is copied by
 * fork and clone), so subprocesses, their stub threads and the master say what they are instead
 * of carrying the name of the JVM thread that cloned them ({@code tether-tracer-...}).
 */
@ExtendWith(NoLeftoverProcesses.class)
class StubNamesKernelTest {
    static final String NAME = "tether-stub";
    static StubPlatformImpl platform;

    @BeforeAll
    static void start() {
        platform = TestArch.platform(new Settings(FailureMode.CONTAINED, 1, 0, 0));
    }

    @AfterAll
    static void stop() {
        platform.close();
    }

    /** comm of every thread of {@code pid} (/proc/PID/task/TID/comm, proc(5)). */
    static List<String> comms(int pid) throws IOException {
        List<String> out = new ArrayList<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : tasks) {
                out.add(Files.readString(t.resolve("comm")).trim());
            }
        }
        return out;
    }

    @Test
    void aStubIsNamedTetherStub() throws Exception {
        try (Stub stub = platform.createStub()) {
            assertEquals(List.of(NAME), comms(stub.pid()));
            // and no command line of the JVM's: ps shows [tether-stub], pgrep -f of the JVM's main class misses it
            assertEquals("", Files.readString(Path.of("/proc/" + stub.pid() + "/cmdline")));
            // and the name did not cost the stub anything: it still serves syscalls
            assertEquals(stub.pid(), stub.syscall("getpid"));
        }
    }

    @Test
    void subprocessesTheirThreadsAndTheMasterAreNamedTetherStub() throws Exception {
        try (Subprocess s = platform.newSubprocess()) {
            assertEquals(s.pid(), s.syscall("getpid"));
            // a second caller: a stub thread of its own in the subprocess (CLONE_THREAD, injected), which
            // lives while its caller does (the caller traces it), so the caller waits until it is looked at
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CountDownLatch called = new CountDownLatch(1);
            CountDownLatch looked = new CountDownLatch(1);
            Thread other = new Thread(() -> {
                try {
                    s.syscall("getpid");
                } catch (Throwable t) {
                    failure.set(t);
                } finally {
                    called.countDown();
                }
                try {
                    looked.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "names-second-caller");
            other.start();
            called.await();
            assertEquals(null, failure.get());
            List<String> comms;
            try {
                comms = comms(s.pid());
            } finally {
                looked.countDown();
                other.join();
            }
            assertEquals("", Files.readString(Path.of("/proc/" + s.pid() + "/cmdline")));
            assertTrue(comms.size() >= 2, "the first stub thread and the second caller's: " + comms);
            for (String c : comms) {
                assertEquals(NAME, c, "every thread of subprocess " + s.pid() + ": " + comms);
            }
            List<String> master = comms(platform.master().pid());
            assertTrue(!master.isEmpty() && master.stream().allMatch(NAME::equals), "every thread of the master: " + master);
        }
    }
}
