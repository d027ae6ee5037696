package dev.tether.spi;

/** Names shared by every arch service. */
public final class ArchService {
    /** Service property naming the architecture of an arch service: {@code amd64} or {@code arm64}. */
    public static final String ARCH_PROPERTY = "tether.arch";

    private ArchService() {
    }
}
