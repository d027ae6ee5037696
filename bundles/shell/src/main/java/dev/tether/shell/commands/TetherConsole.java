package dev.tether.shell.commands;

import dev.tether.api.PlatformFacts;
import dev.tether.api.PlatformStats;
import dev.tether.api.StubPlatform;
import dev.tether.api.TetherException;
import dev.tether.bench.engine.BenchEngine;
import dev.tether.guest.GuestPlatform;
import dev.tether.guest.kernel.spi.LinuxAbi;
import dev.tether.seccomp.SyscallTable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;

/**
 * What every console command works with: the platform and the services of its arch bundle, and
 * the stubs and subprocesses that {@code tether:spawn} made ({@link Handles}). One service for
 * both shells (Gogo here, Karaf's actions in {@code dev.tether.karaf.shell}).
 *
 * <p>Immediate: a delayed component would be deactivated - destroying what the commands made -
 * each time a shell released the service after a command. When it deactivates (the shell bundle
 * stops), it destroys what the commands made; when the platform goes (its arch bundle stops), the
 * platform tears them down itself and the console only forgets them.
 */
@Component(service = TetherConsole.class, immediate = true)
public final class TetherConsole {
    /** What every command says when there is no platform. */
    public static final String NO_PLATFORM = "No StubPlatform service: no arch bundle for this host is active.";

    private volatile StubPlatform platform;
    private volatile Map<String, Object> platformProperties = Map.of();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    private final List<SyscallTable> tables = new CopyOnWriteArrayList<>();

    /** Core's counters (the same numbers as its MBean dev.tether:type=Platform). */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile PlatformStats stats;

    /** Guests (tether:run, tether:demo, the bench's guest ops): MiniLinux on a GuestPlatform (ptrace from core, trap from its bundle). */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private final List<GuestPlatform> guests = new CopyOnWriteArrayList<>();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    private final List<LinuxAbi> abis = new CopyOnWriteArrayList<>();

    /** This bundle's OSGi Logger, so that Karaf attributes the console's rare warning to dev.tether.shell. */
    @Reference(service = LoggerFactory.class, cardinality = ReferenceCardinality.OPTIONAL,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile Logger logger;

    private final BundleContext context;
    private final Handles handles = new Handles();
    /** tether:bench's engine: measures on a long-lived thread of its own, which traces nothing between runs. */
    private final BenchEngine bench = new BenchEngine();

    @Activate
    public TetherConsole(BundleContext context) {
        this.context = context;
    }

    /** Destroys what the commands made (on the console thread, their tracer), then stops the threads. */
    @Deactivate
    void deactivate() throws InterruptedException {
        try {
            handles.close(message -> {
                Logger l = logger;
                if (l != null) {
                    l.warn(message);
                } else {
                    System.getLogger(TetherConsole.class.getName()).log(System.Logger.Level.WARNING, message);
                }
            });
        } finally {
            bench.close();
        }
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, updated = "updatedPlatform")
    void bindPlatform(StubPlatform p, Map<String, Object> properties) {
        platformProperties = Map.copyOf(properties);
        platform = p;
    }

    void updatedPlatform(StubPlatform p, Map<String, Object> properties) {
        platformProperties = Map.copyOf(properties);
    }

    /** The platform is going: it tears down everything it made, including ours, so only forget them. */
    void unbindPlatform(StubPlatform p) {
        if (platform == p) {
            platform = null;
        }
        handles.forget(p);
    }

    /** The running platform, or empty when there is none (or it is being unregistered right now). */
    public Optional<StubPlatform> platform() {
        StubPlatform p = platform;
        return facts(p) == null ? Optional.empty() : Optional.of(p);
    }

    /**
     * The running platform.
     *
     * @throws IllegalStateException {@value #NO_PLATFORM}
     */
    public StubPlatform requirePlatform() {
        return platform().orElseThrow(() -> new IllegalStateException(NO_PLATFORM));
    }

    /** The platform service's properties (its configuration: poolSize, prefork ...). */
    Map<String, Object> platformProperties() {
        return platformProperties;
    }

    /** Core's counters, or null without core's metrics component. */
    PlatformStats stats() {
        return stats;
    }

    /** The ptrace guest platform, or null. */
    GuestPlatform guests() {
        return guest(RunArguments.DEFAULT_PLATFORM);
    }

    /** The guest platform of that mechanism ({@code tether.platform}), or null. */
    GuestPlatform guest(String mechanism) {
        return guests.stream().filter(g -> g.mechanism().equals(mechanism)).findFirst().orElse(null);
    }

    /** Why there is no guest platform of that mechanism, naming those there are. */
    String noGuestPlatform(String mechanism) {
        return noGuestPlatform(mechanism, guests.stream().map(GuestPlatform::mechanism).sorted().toList());
    }

    /** {@link #noGuestPlatform(String)} given the mechanisms registered: what provides the one asked for. */
    static String noGuestPlatform(String mechanism, List<String> registered) {
        String why;
        if (mechanism.equals(RunArguments.DEFAULT_PLATFORM)) {
            why = "core registers it while an arch bundle for this host is active";
        } else if (mechanism.equals("trap")) {
            why = "the dev.tether.trap bundle registers it while an arch bundle with a trap handler (TrapArch: amd64, arm64) is active";
        } else {
            why = "no bundle registers a guest platform of that name";
        }
        return "no " + mechanism + " GuestPlatform service (registered: " + (registered.isEmpty() ? "none" : String.join(", ", registered))
                + "): " + why;
    }

    List<SyscallTable> tables() {
        return tables;
    }

    List<LinuxAbi> abis() {
        return abis;
    }

    /**
     * The syscall table of {@code p}'s arch.
     *
     * @throws IllegalStateException when the arch bundle offers none (it is stopping)
     */
    public SyscallTable table(StubPlatform p) {
        String arch = p.facts().arch();
        for (SyscallTable t : tables) {
            if (t.arch().equals(arch)) {
                return t;
            }
        }
        throw new IllegalStateException("no " + arch + " syscall table service (is the arch bundle stopping?)");
    }

    /** The stubs and subprocesses made by tether:spawn. */
    public Handles handles() {
        return handles;
    }

    BenchEngine bench() {
        return bench;
    }

    BundleContext context() {
        return context;
    }

    static PlatformFacts facts(StubPlatform p) {
        try {
            return p == null ? null : p.facts();
        } catch (TetherException e) {
            return null; // unregistered between the read and the call
        }
    }
}
