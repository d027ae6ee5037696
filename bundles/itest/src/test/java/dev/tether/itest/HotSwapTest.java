package dev.tether.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import dev.tether.api.HostArch;
import dev.tether.api.Stub;
import dev.tether.api.StubPlatform;
import dev.tether.api.Subprocess;
import dev.tether.api.TetherException;
import dev.tether.spi.RegisterLayout;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import javax.management.DynamicMBean;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.BundleListener;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.Version;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Hot swap of the host's arch bundle under load: 50 rounds that alternately stop/start it and
 * update it to a new version, while 4 long-lived platform threads inject syscalls into
 * subprocesses, each getting the StubPlatform service anew (through a ServiceTracker) after a swap.
 *
 * <p>Afterwards: the service is back and works; every call made during the swaps either succeeded
 * or failed with a {@link TetherException} (PlatformClosedException, StubDiedException, ...); no
 * worker hung (every wait has a timeout); core was never restarted, yet runs on the new arch
 * revision; and once the arch bundle stops, no process is left (children of the JVM or tracees of
 * its threads).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class HotSwapTest extends TetherTestSupport {
    static final int ROUNDS = 50;
    static final int WORKERS = 4;
    /** Injections per subprocess before a worker gives it back and takes another one. */
    static final int CALLS_PER_SUBPROCESS = 16;
    static final long JOIN_MS = TimeUnit.SECONDS.toMillis(30);

    /** The injecting threads and what they saw. */
    static final class Load {
        final ServiceTracker<StubPlatform, StubPlatform> tracker;
        final AtomicLong ok = new AtomicLong();
        final AtomicLong typed = new AtomicLong();
        final AtomicLong noService = new AtomicLong();
        final Map<String, Integer> typedKinds = new TreeMap<>();
        /** The first message of each kind of typed error, for the report. */
        final Map<String, String> typedSamples = new TreeMap<>();
        final ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
        final List<Thread> threads = new ArrayList<>();
        volatile boolean stop;

        Load(ServiceTracker<StubPlatform, StubPlatform> tracker) {
            this.tracker = tracker;
        }

        void start() {
            for (int i = 0; i < WORKERS; i++) {
                // long-lived platform threads: a thread that traces stub threads must outlive them
                Thread t = new Thread(this::work, "hot-swap-worker-" + i);
                t.setDaemon(true);
                threads.add(t);
                t.start();
            }
        }

        private void work() {
            while (!stop) {
                StubPlatform p = tracker.getService(); // anew every time: the platform of the moment
                if (p == null) {
                    noService.incrementAndGet();
                    sleepQuietly(1);
                    continue;
                }
                Subprocess sp = null;
                try {
                    sp = p.newSubprocess();
                    for (int i = 0; i < CALLS_PER_SUBPROCESS && !stop; i++) {
                        long r = sp.syscall("getpid");
                        if (r != sp.pid()) {
                            unexpected.add(new AssertionError("getpid() in subprocess " + sp.pid() + " returned " + r));
                        }
                        ok.incrementAndGet();
                    }
                } catch (TetherException e) {
                    typed(e);
                } catch (Throwable e) {
                    unexpected.add(e);
                } finally {
                    if (sp != null) {
                        try {
                            sp.close();
                        } catch (TetherException e) {
                            typed(e);
                        } catch (Throwable e) {
                            unexpected.add(e);
                        }
                    }
                }
            }
        }

        private void typed(TetherException e) {
            typed.incrementAndGet();
            synchronized (typedKinds) {
                typedKinds.merge(e.getClass().getSimpleName(), 1, Integer::sum);
                typedSamples.putIfAbsent(e.getClass().getSimpleName(), e.getMessage());
            }
        }

        /** Waits until the workers made {@code calls} more successful calls than {@code from}. */
        boolean awaitProgress(long from, long calls, long timeoutMs) {
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            while (ok.get() < from + calls) {
                if (System.nanoTime() > end || !unexpected.isEmpty()) {
                    return false;
                }
                sleepQuietly(1);
            }
            return true;
        }

        String summary() {
            synchronized (typedKinds) {
                return "ok=" + ok + " typed=" + typed + " " + typedKinds + " noService=" + noService
                        + " unexpected=" + unexpected.size();
            }
        }
    }

    @Test(timeout = 240_000)
    public void fiftySwapsWhileFourThreadsInject() throws Exception {
        Bundle arch = bundle(HostArch.current().bundleSymbolicName());
        Bundle core = bundle("dev.tether.core");
        BundleRevision coreRevision = core.adapt(BundleRevision.class);
        List<String> coreEvents = new ArrayList<>();
        BundleListener watch = e -> {
            if (e.getBundle().equals(core)) {
                synchronized (coreEvents) {
                    coreEvents.add(e.getType() == BundleEvent.STOPPED ? "STOPPED" : "event " + e.getType());
                }
            }
        };
        context.addBundleListener(watch);
        byte[] archJar = Files.readAllBytes(Path.of(URI.create(arch.getLocation())));
        long platformsBefore = platformsCreated();

        ServiceTracker<StubPlatform, StubPlatform> tracker = new ServiceTracker<>(context, StubPlatform.class, null);
        tracker.open();
        Load load = new Load(tracker);
        try {
            assertNotNull("StubPlatform before the swaps", tracker.waitForService(SERVICE_TIMEOUT_MS));
            load.start();
            assertTrue("the workers make progress before the swaps: " + load.summary(),
                    load.awaitProgress(0, WORKERS * 4L, 20_000));

            for (int round = 0; round < ROUNDS; round++) {
                if (round % 2 == 0) {
                    arch.stop();
                    assertNull("round " + round + ": no StubPlatform while the arch bundle is stopped",
                            context.getServiceReference(StubPlatform.class));
                    arch.start();
                } else {
                    Version next = new Version(0, 1, round, "swap");
                    try (InputStream in = new ByteArrayInputStream(withVersion(archJar, next))) {
                        arch.update(in);
                    }
                    assertEquals("round " + round + ": the arch bundle was updated", next, arch.getVersion());
                }
                assertEquals("round " + round, Bundle.ACTIVE, arch.getState());
                assertNotNull("round " + round + ": StubPlatform is back", awaitService(StubPlatform.class, null));
                // the platform is built from the arch bundle's current revision
                ServiceReference<RegisterLayout> layoutRef = context.getServiceReference(RegisterLayout.class);
                RegisterLayout layout = context.getService(layoutRef);
                try {
                    assertSame("round " + round + ": RegisterLayout comes from the current arch revision",
                            arch.adapt(BundleWiring.class).getClassLoader(), layout.getClass().getClassLoader());
                } finally {
                    context.ungetService(layoutRef);
                }
                // let the workers pick up the new platform and work on it before the next swap (the old
                // platform's subprocesses are gone, so every call counted from here ran on the new one)
                long before = load.ok.get();
                assertTrue("round " + round + ": the workers work on the new platform: " + load.summary(),
                        load.awaitProgress(before, WORKERS * 2L, 20_000));
            }
        } finally {
            load.stop = true;
            for (Thread t : load.threads) {
                t.join(JOIN_MS);
            }
            context.removeBundleListener(watch);
        }

        List<String> hung = new ArrayList<>();
        for (Thread t : load.threads) {
            if (t.isAlive()) {
                StringBuilder sb = new StringBuilder(t.getName());
                for (StackTraceElement e : t.getStackTrace()) {
                    sb.append("\n    at ").append(e);
                }
                hung.add(sb.toString());
            }
        }
        assertEquals("no worker hung", List.of(), hung);
        if (!load.unexpected.isEmpty()) {
            AssertionError e = new AssertionError("calls failed with something other than a TetherException: "
                    + load.summary());
            load.unexpected.forEach(e::addSuppressed);
            throw e;
        }
        assertTrue("the swaps hit calls in flight (else they were not tested): " + load.summary(), load.typed.get() > 0);
        System.out.println("[hot swap] " + ROUNDS + " rounds: " + load.summary() + "; first of each: " + load.typedSamples);

        // the service is back and works
        StubPlatform platform = tracker.waitForService(SERVICE_TIMEOUT_MS);
        assertNotNull("StubPlatform after the swaps", platform);
        try (Stub stub = platform.createStub()) {
            assertEquals(stub.pid(), stub.syscall("getpid"));
        }
        tracker.close();

        // core was never restarted, yet a new platform was created each round
        assertEquals(Bundle.ACTIVE, core.getState());
        assertSame("core kept its revision (never updated or refreshed)", coreRevision, core.adapt(BundleRevision.class));
        synchronized (coreEvents) {
            assertEquals("core saw no bundle event during the swaps", List.of(), coreEvents);
        }
        assertEquals("one platform per swap", platformsBefore + ROUNDS, platformsCreated());

        arch.stop();
        assertEquals("no process left behind once the arch bundle stopped", List.of(), StubPlatformTest.leftovers());
    }

    private long platformsCreated() throws Exception {
        ServiceReference<?> ref = awaitService(DynamicMBean.class, "(jmx.objectname=dev.tether:type=Platform)");
        assertNotNull("the platform MBean service", ref);
        DynamicMBean mbean = (DynamicMBean) context.getService(ref);
        try {
            return (Long) mbean.getAttribute("PlatformsCreated");
        } finally {
            context.ungetService(ref);
        }
    }

    /** A copy of the bundle jar {@code jar} with Bundle-Version {@code version}. */
    static byte[] withVersion(byte[] jar, Version version) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(jar.length + 256);
        try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(jar))) {
            Manifest m = in.getManifest();
            if (m == null) {
                throw new IOException("no manifest at the start of the arch bundle jar");
            }
            m.getMainAttributes().putValue(Constants.BUNDLE_VERSION, version.toString());
            try (JarOutputStream jo = new JarOutputStream(out, m)) {
                JarEntry e;
                byte[] buf = new byte[8192];
                while ((e = in.getNextJarEntry()) != null) {
                    jo.putNextEntry(new JarEntry(e.getName()));
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        jo.write(buf, 0, n);
                    }
                    jo.closeEntry();
                }
            }
        }
        return out.toByteArray();
    }

    static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
