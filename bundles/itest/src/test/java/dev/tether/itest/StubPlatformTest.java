package dev.tether.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import dev.tether.api.HostArch;
import dev.tether.api.Stub;
import dev.tether.api.StubPlatform;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;

/**
 * The StubPlatform service in the real bundles: absent without the host's arch bundle; with it,
 * stubs are created and syscalls injected; stopping the arch bundle removes the service and
 * tears every stub down, leaving no process behind.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class StubPlatformTest extends TetherTestSupport {

    @Test
    public void theArchBundleBringsAndTakesThePlatform() throws Exception {
        Bundle arch = bundle(HostArch.current().bundleSymbolicName());
        arch.stop();
        assertNull("no StubPlatform without the " + arch.getSymbolicName() + " bundle",
                context.getServiceReference(StubPlatform.class));

        arch.start();
        ServiceReference<?> ref = awaitService(StubPlatform.class, null);
        assertNotNull("StubPlatform registered once the arch bundle is active", ref);
        StubPlatform platform = (StubPlatform) context.getService(ref);
        assertEquals(HostArch.current().archName(), platform.facts().arch());
        Stub stub = platform.createStub();
        int pid = stub.pid();
        assertEquals(pid, stub.syscall("getpid"));
        assertTrue(Files.exists(Path.of("/proc/" + pid)));
        context.ungetService(ref);

        arch.stop();
        assertNull("the StubPlatform goes with the arch bundle", context.getServiceReference(StubPlatform.class));
        assertFalse("stub " + pid + " was torn down with the platform", Files.exists(Path.of("/proc/" + pid)));
        assertFalse(stub.alive());
        assertEquals("no process left behind", List.of(), leftovers());
    }

    @Test
    public void aStubCanBeCreatedAndUsedThroughTheService() throws Exception {
        ServiceReference<?> ref = awaitService(StubPlatform.class, null);
        assertNotNull(ref);
        StubPlatform platform = (StubPlatform) context.getService(ref);
        try (Stub stub = platform.createStub()) {
            assertEquals(stub.pid(), stub.syscall("getpid"));
            assertEquals(ProcessHandle.current().pid(), stub.syscall("getppid"));
        } finally {
            context.ungetService(ref);
        }
        assertEquals("no process left behind", List.of(), leftovers());
    }

    /** Children of this JVM and processes traced by its threads (a stub, a zombie, a stopped child). */
    static List<String> leftovers() throws IOException {
        long self = ProcessHandle.current().pid();
        Set<String> tasks = new HashSet<>();
        try (DirectoryStream<Path> ts = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            ts.forEach(t -> tasks.add(t.getFileName().toString()));
        }
        List<String> left = new ArrayList<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : procs) {
                String status;
                try {
                    status = Files.readString(p.resolve("status"));
                } catch (IOException e) {
                    continue;
                }
                if (field(status, "PPid").equals(Long.toString(self)) || tasks.contains(field(status, "TracerPid"))) {
                    left.add(p.getFileName() + " " + field(status, "State"));
                }
            }
        }
        return left;
    }

    static String field(String status, String name) {
        for (String line : status.split("\n")) {
            if (line.startsWith(name + ":")) {
                return line.substring(name.length() + 1).trim();
            }
        }
        return "";
    }
}
