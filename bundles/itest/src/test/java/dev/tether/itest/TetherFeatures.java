package dev.tether.itest;

/** Names shared by the options that configure a container (outside it) and the tests inside it. */
final class TetherFeatures {
    /** Karaf system property: the file: URL of the feature repository with this build's jars. */
    static final String REPOSITORY_PROPERTY = "tether.itest.featureRepository";
    /**
     * System property of both containers: the reactor's bundles, comma-separated (from the launcher's
     * test-jar's {@code ReactorBundles}, outside the container).
     */
    static final String BUNDLES_PROPERTY = "tether.itest.tetherBundles";
    /** Karaf system property: the port of Karaf's ssh server (bin/client connects to it). */
    static final String SSH_PORT_PROPERTY = "tether.itest.sshPort";
    /** The user (and password) bin/client logs in as: roles ssh and viewer, not admin. */
    static final String CLIENT_USER = "tether";

    private TetherFeatures() {
    }

    /**
     * The reactor's bundles from {@link #BUNDLES_PROPERTY}, inside a container: a framework property
     * (Pax Exam's native container sets its system property options as framework properties; Felix's
     * {@code BundleContext.getProperty} falls back to the JVM's system properties, where Karaf has them).
     */
    static java.util.Set<String> bundles() {
        org.osgi.framework.Bundle self = org.osgi.framework.FrameworkUtil.getBundle(TetherFeatures.class);
        String names = self != null && self.getBundleContext() != null
                ? self.getBundleContext().getProperty(BUNDLES_PROPERTY) : System.getProperty(BUNDLES_PROPERTY);
        if (names == null || names.isEmpty()) {
            throw new IllegalStateException(BUNDLES_PROPERTY + " is not set: the container was not configured by TetherOptions or KarafOptions");
        }
        return new java.util.TreeSet<>(java.util.Arrays.asList(names.split(",")));
    }
}
