package dev.tether.launcher;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.Stream;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.Filter;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.framework.namespace.NativeNamespace;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleRequirement;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Apache Felix embedded in the launcher JVM (docs/build-notes.md, note 6): installs
 * every jar of {@code <runtime>/bundles}, starts every non-fragment with {@code gogo.shell} last
 * (it reads stdin as soon as it starts), and runs Gogo commands from code.
 *
 * <p>The launcher shares no Tether package with the framework: bundle class loaders delegate to
 * the boot loader only, so the flat-class-path copies of the Tether jars (used by
 * {@code tether seccomp}) and the installed bundles never meet.
 */
final class EmbeddedFelix implements AutoCloseable {
    static final String GOGO_SHELL = "org.apache.felix.gogo.shell";
    static final String COMMAND_PROCESSOR = "org.apache.felix.service.command.CommandProcessor";
    /** Gogo's command service properties (CommandProcessor.COMMAND_SCOPE / COMMAND_FUNCTION). */
    static final String COMMAND_SCOPE = "osgi.command.scope";
    static final String COMMAND_FUNCTION = "osgi.command.function";

    private final Framework framework;
    private final Path cache;
    private final FileLock cacheLock;
    private final boolean privateCache;
    private final Map<Bundle, String> startFailures = new LinkedHashMap<>();

    private EmbeddedFelix(Framework framework, Path cache, FileLock cacheLock, boolean privateCache) {
        this.framework = framework;
        this.cache = cache;
        this.cacheLock = cacheLock;
        this.privateCache = privateCache;
    }

    /**
     * Boots Felix on {@code <runtime>/bundles}.
     *
     * @param runtime the runtime directory
     * @param interactiveShell whether Gogo's shell reads stdin (only {@code tether shell})
     */
    static EmbeddedFelix boot(Path runtime, boolean interactiveShell) {
        Path bundles = runtime.resolve("bundles");
        List<Path> jars;
        try (Stream<Path> s = Files.list(bundles)) {
            jars = s.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().toList();
        } catch (IOException e) {
            throw CliException.failed("cannot list " + bundles + ": " + e.getMessage());
        }
        if (jars.isEmpty()) {
            throw CliException.failed("no bundles in " + bundles);
        }
        JnaTmpdir.ensure(runtime);

        // One launcher at a time owns <runtime>/felix-cache (Felix itself refuses a locked cache);
        // a second one runs on a private cache that it deletes when it stops.
        Path cache = runtime.resolve("felix-cache");
        FileLock lock = tryLock(runtime.resolve("felix-cache.lock"));
        boolean privateCache = lock == null;
        try {
            if (privateCache) {
                cache = Files.createTempDirectory(runtime, "felix-cache-");
            }
        } catch (IOException e) {
            throw CliException.failed("cannot create a Felix cache in " + runtime + ": " + e.getMessage());
        }
        try {
            return start(jars, cache, lock, privateCache, interactiveShell);
        } catch (RuntimeException e) {
            // start() closes what it created; a failure before that leaves only the lock
            if (lock != null && lock.isValid()) {
                try {
                    lock.release();
                    lock.channel().close();
                } catch (IOException ignored) {
                    // nothing else holds it
                }
            }
            throw e;
        }
    }

    private static EmbeddedFelix start(List<Path> jars, Path cache, FileLock lock, boolean privateCache,
            boolean interactiveShell) {

        Map<String, String> config = new HashMap<>();
        config.put(Constants.FRAMEWORK_STORAGE, cache.toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        config.put("gosh.args", interactiveShell ? "" : "--nointeractive");
        config.put("felix.log.level", "1"); // errors only

        FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class, EmbeddedFelix.class.getClassLoader())
                .findFirst().orElseThrow(() -> CliException.failed(
                        "no OSGi FrameworkFactory on the class path (lib/org.apache.felix.framework.jar missing?)"));
        Framework fw = factory.newFramework(config);
        EmbeddedFelix felix = new EmbeddedFelix(fw, cache, lock, privateCache);
        try {
            fw.init();
            BundleContext ctx = fw.getBundleContext();
            List<Bundle> installed = new ArrayList<>();
            for (Path jar : jars) {
                installed.add(ctx.installBundle(jar.toUri().toString()));
            }
            fw.start();
            // Resolve everything at once so that start order does not depend on file names.
            fw.adapt(FrameworkWiring.class).resolveBundles(installed);
            installed.sort(Comparator.comparing((Bundle b) -> GOGO_SHELL.equals(b.getSymbolicName())));
            for (Bundle b : installed) {
                if (isFragment(b)) {
                    continue;
                }
                try {
                    b.start();
                } catch (BundleException e) {
                    felix.startFailures.put(b, e.getMessage());
                }
            }
        } catch (BundleException | RuntimeException e) {
            felix.close();
            throw new CliException(ExitCode.FAILED, "Felix did not start: " + e.getMessage(), e);
        }
        return felix;
    }

    /** The lock on {@code file}, or null when another launcher (or this JVM) holds it. */
    private static FileLock tryLock(Path file) {
        FileChannel ch = null;
        try {
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = ch.tryLock();
            if (lock != null) {
                return lock;
            }
        } catch (IOException | OverlappingFileLockException e) {
            // fall through: treat as busy
        }
        try {
            if (ch != null) {
                ch.close();
            }
        } catch (IOException e) {
            // nothing held, nothing to undo
        }
        return null;
    }

    /** The Felix cache in use: {@code <runtime>/felix-cache} or a private one. */
    Path cacheDir() {
        return cache;
    }

    Framework framework() {
        return framework;
    }

    BundleContext context() {
        return framework.getBundleContext();
    }

    /** Every installed bundle except the system bundle, by symbolic name. */
    List<Bundle> bundles() {
        List<Bundle> list = new ArrayList<>();
        for (Bundle b : context().getBundles()) {
            if (b.getBundleId() != 0) {
                list.add(b);
            }
        }
        list.sort(Comparator.comparing(Bundle::getSymbolicName));
        return list;
    }

    /** The message of the BundleException {@code start()} threw for {@code b}, or null. */
    String startFailure(Bundle b) {
        return startFailures.get(b);
    }

    static boolean isFragment(Bundle b) {
        BundleRevision rev = b.adapt(BundleRevision.class);
        return rev != null && (rev.getTypes() & BundleRevision.TYPE_FRAGMENT) != 0;
    }

    /**
     * The {@code osgi.native} requirement of {@code b} that no capability of the running
     * framework satisfies (the arch bundle of another architecture), or null.
     */
    String unmetNativeRequirement(Bundle b) {
        BundleRevision rev = b.adapt(BundleRevision.class);
        if (rev == null) {
            return null;
        }
        List<BundleCapability> hostCaps = framework.adapt(BundleRevision.class)
                .getDeclaredCapabilities(NativeNamespace.NATIVE_NAMESPACE);
        for (BundleRequirement req : rev.getDeclaredRequirements(NativeNamespace.NATIVE_NAMESPACE)) {
            String filter = req.getDirectives().get(Constants.FILTER_DIRECTIVE);
            if (filter == null) {
                continue;
            }
            try {
                Filter f = FrameworkUtil.createFilter(filter);
                boolean met = hostCaps.stream().anyMatch(c -> f.matches(c.getAttributes()));
                if (!met) {
                    return filter;
                }
            } catch (InvalidSyntaxException e) {
                return filter;
            }
        }
        return null;
    }

    /** The first value of the host's {@code osgi.native.processor} capability attribute. */
    String hostProcessor() {
        for (BundleCapability c : framework.adapt(BundleRevision.class)
                .getDeclaredCapabilities(NativeNamespace.NATIVE_NAMESPACE)) {
            Object p = c.getAttributes().get(NativeNamespace.CAPABILITY_PROCESSOR_ATTRIBUTE);
            if (p instanceof List<?> && !((List<?>) p).isEmpty()) {
                return String.valueOf(((List<?>) p).get(0));
            }
            if (p != null) {
                return String.valueOf(p);
            }
        }
        return "?";
    }

    /** Services carrying the given LDAP filter, by id. */
    List<ServiceReference<?>> services(String filter) {
        try {
            ServiceReference<?>[] refs = context().getAllServiceReferences(null, filter);
            List<ServiceReference<?>> list = new ArrayList<>();
            if (refs != null) {
                list.addAll(List.of(refs));
            }
            list.sort(Comparator.comparing(r -> (Long) r.getProperty(Constants.SERVICE_ID)));
            return list;
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException("bad filter " + filter, e);
        }
    }

    /**
     * Waits up to {@code timeoutMillis} for a Gogo command {@code scope:function} to be
     * registered (DS may still be activating components).
     */
    boolean awaitCommand(String scope, String function, long timeoutMillis) {
        String filter = "(&(" + COMMAND_SCOPE + "=" + scope + ")(" + COMMAND_FUNCTION + "=" + function + "))";
        try {
            ServiceTracker<Object, Object> t = new ServiceTracker<>(context(), context().createFilter(filter), null);
            t.open(true);
            try {
                // waitForService(0) would wait forever
                return (timeoutMillis > 0 ? t.waitForService(timeoutMillis) : t.getService()) != null;
            } finally {
                t.close();
            }
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException("bad command name " + scope + ":" + function, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Runs a Gogo command line through the framework's CommandProcessor (looked up with a
     * ServiceTracker and called by reflection: the launcher does not import Gogo's API). The
     * command's own output goes to {@code out}/{@code err}; a non-null result is printed to
     * {@code out}.
     *
     * @throws CliException when Gogo is absent or the command fails
     */
    void gogo(String command, PrintStream out, PrintStream err) {
        ServiceTracker<Object, Object> t = new ServiceTracker<>(context(), COMMAND_PROCESSOR, null);
        t.open(true);
        try {
            Object processor = t.waitForService(5_000);
            if (processor == null) {
                throw CliException.failed("no Gogo CommandProcessor service (is org.apache.felix.gogo.runtime active?)");
            }
            // The interfaces come from Gogo's own class loader: the implementation class may not be public.
            ClassLoader gogo = processor.getClass().getClassLoader();
            Class<?> processorType = gogo.loadClass(COMMAND_PROCESSOR);
            Class<?> sessionType = gogo.loadClass("org.apache.felix.service.command.CommandSession");
            Method create = processorType.getMethod("createSession",
                    InputStream.class, java.io.OutputStream.class, java.io.OutputStream.class);
            Object session = create.invoke(processor, InputStream.nullInputStream(), out, err);
            try {
                Object result = sessionType.getMethod("execute", CharSequence.class).invoke(session, command);
                if (result != null) {
                    out.println(result);
                }
            } finally {
                sessionType.getMethod("close").invoke(session);
                out.flush();
            }
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            throw new CliException(ExitCode.FAILED, "Gogo command `" + command + "` failed: " + cause, cause);
        } catch (ReflectiveOperationException e) {
            throw new CliException(ExitCode.FAILED, "cannot call Gogo: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CliException.failed("interrupted while waiting for Gogo");
        } finally {
            t.close();
        }
    }

    /** Blocks until the framework stops (the interactive shell stops it on exit/EOF). */
    void waitForStop() throws InterruptedException {
        framework.waitForStop(0);
    }

    /** Stops the framework, waits for it, releases and (if private) deletes the cache. */
    @Override
    public void close() {
        try {
            if ((framework.getState() & (Bundle.STARTING | Bundle.ACTIVE | Bundle.STOPPING)) != 0) {
                framework.stop();
            }
            framework.waitForStop(30_000);
        } catch (BundleException e) {
            throw new CliException(ExitCode.FAILED, "Felix did not stop: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            release();
        }
    }

    private void release() {
        try {
            if (cacheLock != null) {
                cacheLock.release();
                cacheLock.channel().close();
            }
            if (privateCache) {
                deleteTree(cache);
            }
        } catch (IOException e) {
            // best effort: a leftover private cache under the runtime dir is harmless
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
