package dev.tether.itest;

import static org.ops4j.pax.exam.CoreOptions.composite;
import static org.ops4j.pax.exam.CoreOptions.options;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import javax.inject.Inject;
import org.junit.After;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.ExamFactory;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.nat.internal.NativeTestContainerFactory;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.Filter;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.util.tracker.ServiceTracker;
import org.osgi.util.tracker.ServiceTrackerCustomizer;

/**
 * Base class of the Pax Exam tests: the container of {@link TetherOptions#base()} with the host's
 * arch bundle started.
 *
 * <p>A subclass is a JUnit 4 class:
 * <pre>
 * &#64;RunWith(PaxExam.class)
 * &#64;ExamReactorStrategy(PerClass.class)   // one framework per class, not per method
 * public class FooTest extends TetherTestSupport {
 *     &#64;Inject StubPlatform platform;     // javax.inject.Inject; waits for the service
 *     &#64;Test public void ...
 * }
 * </pre>
 * Override {@link #extraOptions()} to add options (e.g. {@code frameworkProperty}, more bundles).
 *
 * <p>The container is the native one (Felix in the Surefire JVM), named by {@code @ExamFactory}: with
 * two containers on the class path (the Karaf one for {@link KarafFeatureTest}) Pax Exam would not pick one.
 *
 * <p>Where code runs: {@code config()} and {@code extraOptions()} in the Surefire JVM, before the
 * framework exists; the test methods, {@code @Before}/{@code @After} and injected fields inside
 * the framework, in Pax Exam's probe bundle (built from target/test-classes, with
 * {@code DynamicImport-Package: *}, so any exported package can be used). Use JUnit 4 API only
 * ({@code org.junit.Test}, {@code org.junit.Assert}).
 */
@ExamFactory(NativeTestContainerFactory.class) // @Inherited; the class path also holds the Karaf container (KarafFeatureTest)
public abstract class TetherTestSupport {

    /** How long a test waits for a service that DS registers asynchronously. */
    protected static final long SERVICE_TIMEOUT_MS = TimeUnit.SECONDS.toMillis(10);

    @Inject
    protected BundleContext context;

    /** Runs outside the container, in the Surefire JVM. */
    @Configuration
    public Option[] config() {
        return options(TetherOptions.base(), composite(extraOptions()));
    }

    /** Options a test class adds to {@link TetherOptions#base()}; none by default. */
    protected Option[] extraOptions() {
        return new Option[0];
    }

    /**
     * Puts the arch bundles back as {@link ArchBundleStarter} left them at boot (installed, the
     * host's started), after every test method: a hot-swap test that stopped or uninstalled the
     * host's arch bundle must not leave the next method (same framework with {@code PerClass})
     * without it. After, not before: Pax Exam injects the next instance's {@code @Inject} fields
     * before any {@code @Before} runs. Idempotent.
     */
    @After
    public void restoreArchBundles() throws BundleException {
        ArchBundleStarter.startResolvable(context);
    }

    /** Every installed bundle whose symbolic name starts with {@code dev.tether.}, by symbolic name. */
    protected Map<String, Bundle> tetherBundles() {
        Map<String, Bundle> bundles = new TreeMap<>();
        for (Bundle bundle : context.getBundles()) {
            String bsn = bundle.getSymbolicName();
            if (bsn != null && bsn.startsWith("dev.tether.") && bundles.put(bsn, bundle) != null) {
                throw new AssertionError("two bundles named " + bsn);
            }
        }
        return bundles;
    }

    /** The installed bundle named {@code symbolicName}; fails the test when there is none. */
    protected Bundle bundle(String symbolicName) {
        return Arrays.stream(context.getBundles()).filter(b -> symbolicName.equals(b.getSymbolicName()))
                .findFirst().orElseThrow(() -> new AssertionError("no bundle " + symbolicName + " installed"));
    }

    protected FrameworkWiring frameworkWiring() {
        return context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION).adapt(FrameworkWiring.class);
    }

    /**
     * Waits up to {@link #SERVICE_TIMEOUT_MS} for a service of {@code type} matching {@code filter}
     * (LDAP syntax, may be null) and returns its reference, or null if none came.
     */
    protected ServiceReference<?> awaitService(Class<?> type, String filter) throws InterruptedException {
        String objectClass = "(" + Constants.OBJECTCLASS + "=" + type.getName() + ")";
        Filter f;
        try {
            f = FrameworkUtil.createFilter(filter == null ? objectClass : "(&" + objectClass + filter + ")");
        } catch (InvalidSyntaxException e) {
            throw new IllegalArgumentException("bad service filter " + filter + ": " + e.getMessage(), e);
        }
        // tracks references only: looking must not activate a (delayed) DS component
        ServiceTracker<Object, ServiceReference<Object>> tracker = new ServiceTracker<>(context, f,
                new ServiceTrackerCustomizer<Object, ServiceReference<Object>>() {
                    @Override
                    public ServiceReference<Object> addingService(ServiceReference<Object> reference) {
                        return reference;
                    }

                    @Override
                    public void modifiedService(ServiceReference<Object> reference, ServiceReference<Object> tracked) {
                    }

                    @Override
                    public void removedService(ServiceReference<Object> reference, ServiceReference<Object> tracked) {
                    }
                });
        tracker.open(true);
        try {
            return tracker.waitForService(SERVICE_TIMEOUT_MS);
        } finally {
            tracker.close();
        }
    }

    /** Human-readable bundle state, for assertion messages. */
    protected static String stateName(int state) {
        switch (state) {
            case Bundle.UNINSTALLED: return "UNINSTALLED";
            case Bundle.INSTALLED: return "INSTALLED";
            case Bundle.RESOLVED: return "RESOLVED";
            case Bundle.STARTING: return "STARTING";
            case Bundle.STOPPING: return "STOPPING";
            case Bundle.ACTIVE: return "ACTIVE";
            default: return "state " + state;
        }
    }
}
