package dev.tether.itest;

/** Names shared by {@link KarafOptions} (outside Karaf) and {@link KarafFeatureTest} (inside). */
final class TetherFeatures {
    /** Karaf system property: the file: URL of the feature repository with this build's jars. */
    static final String REPOSITORY_PROPERTY = "tether.itest.featureRepository";
    /** Karaf system property: the reactor's bundles, comma-separated ({@link ReactorBundles}). */
    static final String BUNDLES_PROPERTY = "tether.itest.tetherBundles";
    /** Karaf system property: the port of Karaf's ssh server (bin/client connects to it). */
    static final String SSH_PORT_PROPERTY = "tether.itest.sshPort";
    /** The user (and password) bin/client logs in as: roles ssh and viewer, not admin. */
    static final String CLIENT_USER = "tether";

    private TetherFeatures() {
    }
}
