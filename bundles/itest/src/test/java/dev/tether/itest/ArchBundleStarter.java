package dev.tether.itest;

import java.util.ArrayList;
import java.util.List;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.wiring.FrameworkWiring;

/**
 * Installs both arch bundles and starts whichever resolves, as a launcher does: on a host exactly
 * one of them does (each requires its own {@code osgi.native.processor}); the other stays INSTALLED.
 *
 * <p>This class is the activator of a one-class bundle that {@link TetherOptions#base()} builds with
 * TinyBundles and Pax Exam starts with the runtime, so the host's arch services are there before
 * Pax Exam creates the test instance and {@code @Inject}s services that may need them. It must stay
 * self-contained: the bundle holds this class only and imports {@code org.osgi.framework} and
 * {@code org.osgi.framework.wiring}.
 */
public final class ArchBundleStarter implements BundleActivator {

    /** Framework/system property: comma-separated locations of the arch bundles. */
    public static final String ARCH_BUNDLES_PROPERTY = "tether.itest.archBundles";

    /** Symbolic name of the starter bundle (outside {@code dev.tether.}: it is not part of Tether). */
    public static final String SYMBOLIC_NAME = "itest.arch-starter";

    @Override
    public void start(BundleContext context) throws BundleException {
        startResolvable(context);
    }

    @Override
    public void stop(BundleContext context) {
        // the arch bundles are the framework's now; it stops them when it stops
    }

    /**
     * Installs the arch bundles not installed yet (a test that uninstalled one gets it back) and
     * starts those that resolve.
     *
     * @return both arch bundles, in the order of {@link #ARCH_BUNDLES_PROPERTY}
     * @throws IllegalStateException if the property is not set
     */
    public static List<Bundle> startResolvable(BundleContext context) throws BundleException {
        String locations = context.getProperty(ARCH_BUNDLES_PROPERTY);
        if (locations == null || locations.isEmpty()) {
            throw new IllegalStateException(ARCH_BUNDLES_PROPERTY + " is not set: use TetherOptions.base()");
        }
        List<Bundle> bundles = new ArrayList<>();
        for (String location : locations.split(",")) {
            Bundle bundle = context.getBundle(location);
            bundles.add(bundle != null ? bundle : context.installBundle(location));
        }
        FrameworkWiring wiring = context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION).adapt(FrameworkWiring.class);
        // false as long as one of them (the other arch's) cannot resolve: that is the point, not an error
        wiring.resolveBundles(bundles);
        for (Bundle bundle : bundles) {
            if (bundle.getState() == Bundle.RESOLVED) {
                bundle.start();
            }
        }
        return bundles;
    }
}
