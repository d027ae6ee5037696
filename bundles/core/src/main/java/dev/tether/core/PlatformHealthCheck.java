package dev.tether.core;

import dev.tether.abi.Prctl;
import dev.tether.api.StubPlatform;
import dev.tether.api.TetherException;
import dev.tether.linux.LinuxException;
import dev.tether.linux.Sys;
import dev.tether.spi.ArchService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.felix.hc.api.FormattingResultLog;
import org.apache.felix.hc.api.HealthCheck;
import org.apache.felix.hc.api.Result;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * A Felix Health Check (tag {@value #TAG}): ptrace permitted, seccomp filters available, the
 * host's arch bundle present and the platform running ({@link HostChecks}).
 *
 * <p>The Health Check API is optional for core ({@code resolution:=optional} import): without it
 * this delayed component is never activated, so its class (which needs the API) is never loaded,
 * and the rest of core runs unaffected.
 */
@Component(service = HealthCheck.class, property = {HealthCheck.NAME + "=" + PlatformHealthCheck.NAME,
    HealthCheck.TAGS + "=" + PlatformHealthCheck.TAG, HealthCheck.MBEAN_NAME + "=tether"})
public final class PlatformHealthCheck implements HealthCheck {
    public static final String NAME = "Tether platform";
    public static final String TAG = "tether";

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile StubPlatform platform;

    /** Why the platform last failed to start or refused to go (written by StubPlatformComponent). */
    @Reference
    private PlatformStatus status;

    private final BundleContext context;

    @Activate
    public PlatformHealthCheck(BundleContext context) {
        this.context = context;
    }

    @Override
    public Result execute() {
        String arch = platformArch();
        FormattingResultLog log = new FormattingResultLog();
        // the real reason first: a refused value may be why the platform runs otherwise, or not at all
        report(log, HostChecks.configuration(status.configRefusal(), arch != null));
        report(log, HostChecks.ptrace(read("/proc/sys/kernel/yama/ptrace_scope", ""), read("/proc/self/status", ""), arch));
        String prctlError = null;
        try {
            Sys.prctl(Prctl.PR_GET_SECCOMP, 0, 0, 0, 0);
        } catch (LinuxException e) {
            prctlError = e.errnoName();
        }
        report(log, HostChecks.seccomp(prctlError, read("/proc/sys/kernel/seccomp/actions_avail", null)));
        report(log, HostChecks.arch(archServices(), arch, status.startFailure(), status.refusal()));
        dev.tether.api.FailStopOrphans orphans = OrphanRegistry.alive();
        if (!orphans.none()) {
            // by design (fail-stop stubs end with the JVM): said, not a failure
            log.info("{}", "fail-stop orphans: " + orphans.describe());
        }
        return new Result(log);
    }

    private static void report(FormattingResultLog log, List<HostChecks.Finding> findings) {
        for (HostChecks.Finding f : findings) {
            // the message is data, not a format: pass it as the single argument
            switch (f.level()) {
                case OK:
                    log.info("{}", f.message());
                    break;
                case WARN:
                    log.warn("{}", f.message());
                    break;
                default:
                    log.critical("{}", f.message());
            }
        }
    }

    private String platformArch() {
        StubPlatform p = platform;
        try {
            return p == null ? null : p.facts().arch();
        } catch (TetherException e) {
            return null;
        }
    }

    /** The objectClasses of the services carrying tether.arch, by arch. */
    private Map<String, Set<String>> archServices() {
        Map<String, Set<String>> byArch = new TreeMap<>();
        ServiceReference<?>[] refs;
        try {
            refs = context.getAllServiceReferences(null, "(" + ArchService.ARCH_PROPERTY + "=*)");
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        if (refs != null) {
            for (ServiceReference<?> r : refs) {
                Set<String> classes = byArch.computeIfAbsent(String.valueOf(r.getProperty(ArchService.ARCH_PROPERTY)),
                        k -> new TreeSet<>());
                classes.addAll(List.of((String[]) r.getProperty(Constants.OBJECTCLASS)));
            }
        }
        return byArch;
    }

    private static String read(String path, String absent) {
        try {
            return Files.readString(Path.of(path));
        } catch (java.io.IOException e) {
            return absent;
        }
    }
}
