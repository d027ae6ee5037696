package dev.tether.itest;

/** Names shared by {@link KarafOptions} (outside Karaf) and {@link KarafFeatureTest} (inside). */
final class TetherFeatures {
    /** Karaf system property: the file: URL of the feature repository with this build's jars. */
    static final String REPOSITORY_PROPERTY = "tether.itest.featureRepository";

    private TetherFeatures() {
    }
}
