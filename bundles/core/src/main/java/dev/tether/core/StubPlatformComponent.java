package dev.tether.core;

import dev.tether.api.FailureMode;
import dev.tether.api.PlatformClosedException;
import dev.tether.api.PlatformFacts;
import dev.tether.api.Stub;
import dev.tether.api.StubPlatform;
import dev.tether.api.Subprocess;
import dev.tether.seccomp.Action;
import dev.tether.seccomp.Policy;
import dev.tether.seccomp.SeccompContribution;
import dev.tether.seccomp.SyscallTable;
import dev.tether.spi.RegisterLayout;
import dev.tether.spi.StubProgram;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.osgi.annotation.bundle.Capability;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.Designate;

/**
 * The StubPlatform OSGi service.
 *
 * <h2>Hot swap (docs/architecture.md, section 7)</h2>
 * Registered only while an arch bundle provides all four arch services (static, mandatory
 * references): when the arch bundle stops, is updated or uninstalled, DS deactivates this
 * component, which tears down every stub and subprocess the platform made, and unregisters the
 * service; when the arch services come back, DS activates a new instance with them. Immediate, so
 * that the platform's life follows the arch bundle's, not its users' (a delayed component would
 * also be torn down whenever its last user released it).
 *
 * <h2>Configuration (PID {@value #PID})</h2>
 * See {@link StubPlatformConfig}: logging applies at once, the pool size and pre-fork count are
 * applied to the running platform, and a change of failure mode, tracer threads or stub address
 * replaces the platform behind this service: the new platform is created first (so a bad value is
 * refused with the old one untouched: docs/architecture.md, section 6), then the old one is closed. Calls that hold
 * on to the old platform's stubs get {@link PlatformClosedException}.
 *
 * <h2>The service's properties follow the platform</h2>
 * The service carries the configuration as its properties (what DS would publish: the component
 * properties but the private ones), and a consumer that sees the new platform sees the new
 * properties too: the component registers the service itself and publishes platform and
 * properties as one step ({@link PlatformPublication}). A live change (pool size, pre-fork,
 * logging) is applied first, then published in the properties. A refused change leaves the
 * properties as they were, like the platform.
 *
 * <h2>Fail-stop (docs/architecture.md, section 6)</h2>
 * A fail-stop platform that made stubs cannot be torn down without killing the JVM. Then a
 * replacement is refused (the old platform stays, the reason is logged once and kept in the
 * status), and a deactivation logs why the platform stays alive: its stubs end with the JVM, and
 * later platforms list them as orphans ({@link FailStopOrphans}).
 *
 * <h2>Refused values</h2>
 * A value the platform cannot use is refused with one log line and no stack trace, and the
 * status (health check, MBean Problem, PlatformStats) says {@code configuration refused:
 * key=value: reason; running with ...} until a configuration is accepted. Config Admin keeps the
 * refused value, so at the next start the platform starts with the defaults and says so.
 *
 * <h2>Observers</h2>
 * Every {@link PlatformListener} service of this bundle (the metrics MBean) plus the component's
 * own {@link PlatformLog} observe the platform's work.
 */
// No service for DS to register: the component registers StubPlatform itself (see above), and
// declares the capability that bnd would have derived from service = StubPlatform.class.
@Component(service = {}, configurationPid = StubPlatformComponent.PID, immediate = true)
@Capability(namespace = "osgi.service", attribute = "objectClass:List<String>=\"dev.tether.api.StubPlatform\"",
        uses = StubPlatform.class)
@Designate(ocd = StubPlatformConfig.class)
public final class StubPlatformComponent implements StubPlatform {
    /** The configuration PID: {@code etc/dev.tether.core.cfg} in Karaf. */
    public static final String PID = "dev.tether.core";

    @Reference
    private RegisterLayout layout;
    @Reference
    private StubProgram program;
    @Reference
    private SyscallTable table;
    @Reference
    private SeccompContribution contribution;
    /** Where this bundle's health check and metrics read why the platform failed or stayed. */
    @Reference
    private PlatformStatus status;

    /** The OSGi Logger of this bundle, when the framework has a Log Service (optional: plain Felix may not). */
    @Reference(service = LoggerFactory.class, cardinality = ReferenceCardinality.OPTIONAL,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private volatile Logger logger;

    private final List<PlatformListener> observers = new CopyOnWriteArrayList<>();
    private final PlatformLog log = new PlatformLog(() -> logger, System.getLogger(StubPlatformComponent.class.getName()));
    /** Guards swapping the published platform and installing listeners on it. */
    private final Object swap = new Object();
    /** The platform behind the service and the service's registration; guarded by {@link #swap} but for reads. */
    private final PlatformPublication published = new PlatformPublication();
    private Settings settings;

    /** For DS, which injects the references into the fields. */
    public StubPlatformComponent() {
    }

    /** Outside OSGi (tests): the arch services given directly; no OSGi Logger (System.Logger instead). */
    StubPlatformComponent(RegisterLayout layout, StubProgram program, SyscallTable table, SeccompContribution contribution) {
        this.layout = layout;
        this.program = program;
        this.table = table;
        this.contribution = contribution;
        this.status = new PlatformStatus();
    }

    /**
     * Creates the platform, then registers the StubPlatform service with the component's
     * properties. {@code context} is null outside OSGi (tests): then nothing is registered.
     *
     * <p>A refused configuration value (Config Admin keeps it, so it comes back at every start)
     * does not fail the activation: the platform starts with the defaults, says so in one log
     * line and in the status (health check, MBean, tether:info), and the service's properties
     * are the defaults. Throwing would only have SCR log the same thing again with a stack trace
     * (DS 1.4, 112.5.8: SCR logs an exception from the activate method and the component is not
     * activated) and leave the operator without a platform for a typo.
     */
    @Activate
    void activate(BundleContext context, Map<String, Object> properties, StubPlatformConfig config) {
        CoreLog.use(() -> logger);
        log.syscallNames(nr -> nr >= 0 && nr <= Integer.MAX_VALUE
                ? table.name((int) nr).map(n -> n + " (" + nr + ")").orElse("syscall " + nr) : "syscall " + nr);
        Settings s;
        StubPlatformImpl p;
        Map<String, Object> props = properties;
        try {
            log.logInjections(Settings.value(properties, "logInjections", "true or false", config::logInjections));
            s = Settings.of(properties, config);
            p = createConfigured(s, true);
            status.configAccepted();
        } catch (RefusedValueException e) {
            s = Settings.defaults();
            status.configRefused(e, "running with the defaults (" + s.describe() + ")");
            log.error("configuration " + PID + " refused: " + e.getMessage() + "; starting with the defaults", null);
            props = ServiceProperties.defaults(properties);
            p = createOrFail(s, true);
        }
        synchronized (swap) {
            settings = s;
            p.setListener(listeners());
            status.running(p);
            published.register(context, this, p, ServiceProperties.of(props, s));
        }
    }

    /** A platform for configured settings; a stub address it cannot use is a refused value. */
    private StubPlatformImpl createConfigured(Settings s, boolean activating) {
        try {
            return createOrFail(s, activating);
        } catch (RefusedValueException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            // the only setting the platform itself can find bad: a stub address it cannot map (StubImage)
            throw new RefusedValueException("stubAddress", String.format("0x%x", s.stubAddress()), e.getMessage());
        }
    }

    /**
     * A platform, or an exception: the host cannot run one (no ptrace, no seccomp ...). One log
     * line, with the stack trace only for what is not a Tether error. When {@code activating},
     * the activation fails with it and the status keeps why; a replacement's failure leaves the
     * old platform running, and the caller says so.
     */
    private StubPlatformImpl createOrFail(Settings s, boolean activating) {
        try {
            return create(s);
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (RuntimeException e) {
            if (activating) {
                status.startFailed(e);
            }
            log.error("no " + layout.arch() + " stub platform: " + e.getMessage(),
                    e instanceof dev.tether.api.TetherException ? null : e);
            throw e;
        }
    }

    @Modified
    void modified(Map<String, Object> properties, StubPlatformConfig config) {
        Settings next;
        try {
            log.logInjections(Settings.value(properties, "logInjections", "true or false", config::logInjections));
            next = Settings.of(properties, config);
        } catch (RefusedValueException e) {
            refused(e);
            return;
        }
        synchronized (swap) {
            StubPlatformImpl old = published.peek();
            if (next.sameStructure(settings)) {
                if (next.poolSize() != settings.poolSize() || next.prefork() != settings.prefork()) {
                    old.reconfigurePool(next.poolSize(), next.prefork());
                    log.info("subprocess pool reconfigured: size " + next.poolSize() + ", pre-fork " + next.prefork());
                }
                settings = next;
                status.configAccepted();
                // applied first, then published: who sees the new pool size in the properties gets it
                published.publish(old, ServiceProperties.of(properties, settings));
                return;
            }
            StubPlatformImpl fresh;
            try {
                fresh = createConfigured(next, false);
            } catch (RefusedValueException e) {
                refused(e); // a stub address that cannot be used
                return;
            } catch (RuntimeException e) {
                // logged by createOrFail; the old platform stays. Not thrown: SCR would log it again.
                status.configRefused(new RefusedValueException(next.changedFrom(settings), e.getMessage()),
                        "running with " + settings.describe());
                return;
            }
            try {
                old.close();
            } catch (RuntimeException e) {
                // fail-stop: closing would kill the JVM. Keep the old platform, drop the new one.
                fresh.close();
                refused(new RefusedValueException(next.changedFrom(settings), e.getMessage()));
                return;
            }
            status.closed();
            status.configAccepted();
            fresh.setListener(listeners());
            settings = next;
            log.info("stub platform replaced for the new configuration (" + describe(fresh.facts()) + ")");
            status.running(fresh);
            published.publish(fresh, ServiceProperties.of(properties, settings));
        }
    }

    /**
     * A refused configuration value: one log line naming the property, the value and why, no
     * stack trace, and no exception, which SCR would only log again with its stack trace (DS
     * 1.4, 112.5.12: SCR logs what a modified method throws, and goes on). The status says it
     * until a configuration is accepted.
     */
    private void refused(RefusedValueException e) {
        Settings now = settings;
        String runningWith = "running with " + now.describe();
        status.configRefused(e, runningWith);
        log.error("configuration " + PID + " refused: " + e.getMessage() + "; " + runningWith
                + " (the platform stays as it was)", null);
    }

    @Deactivate
    void deactivate() {
        StubPlatformImpl p;
        synchronized (swap) {
            // as DS would: the service goes first (its users let go of it), then the platform
            p = published.withdraw();
            status.running(null);
        }
        if (p == null) {
            CoreLog.use(null);
            return;
        }
        try {
            p.close();
            status.closed();
            log.info("stub platform " + p.facts().arch() + " closed: every stub and subprocess it made was torn down");
        } catch (RuntimeException e) {
            // docs/architecture.md, section 6: a fail-stop platform with stubs cannot go without taking the JVM along. It
            // stays (its tracer threads keep the stubs); the service is gone all the same.
            // One line, no stack trace: this is the documented fail-stop behaviour, not a fault.
            status.refused(e.getMessage());
            OrphanRegistry.record(p.processPids(), p.tracerTids());
            log.error("stub platform " + p.facts().arch() + " not torn down: " + e.getMessage(), null);
        } finally {
            CoreLog.use(null);
        }
    }

    private StubPlatformImpl create(Settings s) {
        StubPlatformImpl p = new StubPlatformImpl(layout, program, table, contribution, s);
        status.started();
        PlatformFacts f = p.facts();
        log.info("stub platform up: " + describe(f) + "; " + (f.seccompAfterPtrace()
                ? "latest seccomp behavior found (kernel >= 4.8 likely)" : "legacy seccomp behavior found (kernel < 4.8 likely)"));
        if (s.failureMode() == FailureMode.FAIL_STOP) {
            log.warn("fail-stop mode: a dying stub kills the JVM, and a platform that made stubs cannot be torn down");
        }
        return p;
    }

    private static String describe(PlatformFacts f) {
        return String.format("arch %s, kernel %s, stub at 0x%x, %s, %d tracer thread(s)", f.arch(), f.kernel(),
                f.stubAddress(), f.failureMode().toString().toLowerCase().replace('_', '-'), f.tracerThreads());
    }

    // ---------------------------------------------------------------- observers

    @Reference(service = PlatformListener.class, cardinality = ReferenceCardinality.MULTIPLE,
            policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addObserver(PlatformListener l) {
        observers.add(l);
        rewire();
    }

    void removeObserver(PlatformListener l) {
        observers.remove(l);
        rewire();
    }

    private void rewire() {
        synchronized (swap) {
            StubPlatformImpl p = published.peek();
            if (p != null) {
                p.setListener(listeners());
            }
        }
    }

    private PlatformListener listeners() {
        List<PlatformListener> all = new java.util.ArrayList<>(observers);
        all.add(0, log);
        return new Listeners(all);
    }

    /** What the health check and the metrics read (tests). */
    PlatformStatus status() {
        return status;
    }

    // ---------------------------------------------------------------- StubPlatform

    StubPlatformImpl platform() {
        return published.current();
    }

    @Override
    public PlatformFacts facts() {
        return platform().facts();
    }

    @Override
    public Stub createStub() {
        return platform().createStub();
    }

    @Override
    public Stub attachedThread(long cloneFlags, Action defaultAction) {
        return platform().attachedThread(cloneFlags, defaultAction);
    }

    @Override
    public Stub attachedThread(long cloneFlags, Policy policy) {
        return platform().attachedThread(cloneFlags, policy);
    }

    @Override
    public Policy stubPolicy(Action defaultAction) {
        return platform().stubPolicy(defaultAction);
    }

    @Override
    public int syscallNumber(String name) {
        return platform().syscallNumber(name);
    }

    @Override
    public List<Stub> stubs() {
        return platform().stubs();
    }

    @Override
    public Subprocess newSubprocess() {
        return platform().newSubprocess();
    }

    @Override
    public Subprocess forkSubprocess() {
        return platform().forkSubprocess();
    }

    @Override
    public List<Subprocess> subprocesses() {
        return platform().subprocesses();
    }

    @Override
    public String toString() {
        StubPlatformImpl p = published.peek();
        return "StubPlatform[" + (p == null ? "closed" : describe(p.facts())) + "]";
    }
}
