package dev.tether.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import dev.tether.api.HostArch;
import dev.tether.guest.kernel.spi.LinuxAbi;
import dev.tether.seccomp.SeccompContribution;
import dev.tether.seccomp.SyscallTable;
import dev.tether.spi.ArchService;
import dev.tether.spi.RegisterLayout;
import dev.tether.spi.StubProgram;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleException;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.resource.Capability;
import org.osgi.resource.Namespace;
import org.osgi.resource.Requirement;

/**
 * The runtime of this build resolves in Felix, and the {@code osgi.native} requirements select the
 * arch bundle of this host: it is ACTIVE and registers the five arch services, the other one cannot
 * resolve, and for no other reason.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class BundlesResolveTest extends TetherTestSupport {

    private static final String OSGI_NATIVE = "osgi.native";

    private final HostArch host = HostArch.current();

    @Test
    public void everyTetherBundleIsActiveButTheOtherArchBundle() {
        Map<String, Bundle> bundles = tetherBundles();
        // every bundle of the reactor (pom.xml modules with a bundle), as the container's options set it (TetherOptions)
        assertEquals("installed Tether bundles", TetherFeatures.bundles(), bundles.keySet());
        for (Bundle bundle : bundles.values()) {
            int expected = bundle.getSymbolicName().equals(host.other().bundleSymbolicName())
                    ? Bundle.INSTALLED : Bundle.ACTIVE;
            assertEquals(bundle.getSymbolicName() + " on " + host.archName() + " is " + stateName(bundle.getState()),
                    stateName(expected), stateName(bundle.getState()));
        }
    }

    @Test
    public void otherArchBundleFailsToResolveOnItsOsgiNativeRequirementOnly() throws Exception {
        Bundle foreign = bundle(host.other().bundleSymbolicName());
        assertFalse("the resolver resolved " + foreign.getSymbolicName() + " on " + host.archName(),
                frameworkWiring().resolveBundles(List.of(foreign)));
        assertEquals(stateName(Bundle.INSTALLED), stateName(foreign.getState()));

        // The resolver's own reason. START_TRANSIENT: do not mark it for autostart.
        BundleException e = assertThrows(BundleException.class, () -> foreign.start(Bundle.START_TRANSIENT));
        assertEquals("BundleException type (RESOLVE_ERROR) of: " + e.getMessage(),
                BundleException.RESOLVE_ERROR, e.getType());
        assertTrue("resolver message does not blame osgi.native.processor=" + host.other().nativeProcessor()
                + ": " + e.getMessage(), e.getMessage().contains(OSGI_NATIVE)
                && e.getMessage().contains("osgi.native.processor=" + host.other().nativeProcessor()));

        // It declares exactly one osgi.native requirement, which nothing in the framework satisfies ...
        BundleRevision revision = foreign.adapt(BundleRevision.class);
        List<Requirement> nativeRequirements = revision.getRequirements(OSGI_NATIVE);
        assertEquals("osgi.native requirements of " + foreign.getSymbolicName(), 1, nativeRequirements.size());
        assertTrue(filter(nativeRequirements.get(0)),
                filter(nativeRequirements.get(0)).contains("osgi.native.processor=" + host.other().nativeProcessor()));
        assertEquals("providers of " + nativeRequirements.get(0), List.of(), providers(nativeRequirements.get(0)));

        // ... while every other mandatory, resolve-time requirement has a provider: osgi.native is the only cause.
        for (Requirement requirement : revision.getRequirements(null)) {
            if (!requirement.getNamespace().equals(OSGI_NATIVE) && mandatoryAtResolve(requirement)) {
                assertFalse("nothing provides " + requirement.getNamespace() + " " + filter(requirement)
                        + " for " + foreign.getSymbolicName(), providers(requirement).isEmpty());
            }
        }
    }

    @Test
    public void hostArchBundleIsWiredToTheFrameworksNativeCapability() {
        Bundle arch = bundle(host.bundleSymbolicName());
        BundleWiring wiring = arch.adapt(BundleWiring.class);
        assertNotNull(arch.getSymbolicName() + " is not resolved", wiring);
        List<BundleWire> wires = wiring.getRequiredWires(OSGI_NATIVE);
        assertEquals("osgi.native wires of " + arch.getSymbolicName(), 1, wires.size());
        assertEquals("osgi.native provider", 0L, wires.get(0).getProvider().getBundle().getBundleId());
        assertTrue(filter(wires.get(0).getRequirement()),
                filter(wires.get(0).getRequirement()).contains("osgi.native.processor=" + host.nativeProcessor()));
    }

    @Test
    public void hostArchServicesAreRegisteredWithTheHostArchProperty() throws Exception {
        Bundle arch = bundle(host.bundleSymbolicName());
        String filter = "(" + ArchService.ARCH_PROPERTY + "=" + host.archName() + ")";
        for (Class<?> type : List.of(SyscallTable.class, SeccompContribution.class, RegisterLayout.class,
                StubProgram.class, LinuxAbi.class)) {
            ServiceReference<?> reference = awaitService(type, filter);
            assertNotNull("no " + type.getName() + " service with " + filter + " within " + SERVICE_TIMEOUT_MS
                    + " ms", reference);
            assertEquals(type.getName() + " registered by", arch, reference.getBundle());
            // and none claims another arch
            ServiceReference<?>[] all = context.getServiceReferences(type.getName(), null);
            for (ServiceReference<?> r : all) {
                assertEquals(type.getName() + " from " + r.getBundle().getSymbolicName() + " " + ArchService.ARCH_PROPERTY,
                        host.archName(), r.getProperty(ArchService.ARCH_PROPERTY));
            }
        }
    }

    private static boolean mandatoryAtResolve(Requirement requirement) {
        Map<String, String> directives = requirement.getDirectives();
        String effective = directives.getOrDefault(Namespace.REQUIREMENT_EFFECTIVE_DIRECTIVE, Namespace.EFFECTIVE_RESOLVE);
        String resolution = directives.getOrDefault(Namespace.REQUIREMENT_RESOLUTION_DIRECTIVE,
                Namespace.RESOLUTION_MANDATORY);
        return Namespace.EFFECTIVE_RESOLVE.equals(effective) && Namespace.RESOLUTION_MANDATORY.equals(resolution);
    }

    private static String filter(Requirement requirement) {
        return requirement.getDirectives().getOrDefault(Namespace.REQUIREMENT_FILTER_DIRECTIVE, "");
    }

    /** The symbolic names of resolved bundles (system bundle included) with a capability matching {@code requirement}. */
    private List<String> providers(Requirement requirement) throws InvalidSyntaxException {
        String filter = filter(requirement);
        org.osgi.framework.Filter f = filter.isEmpty() ? null : FrameworkUtil.createFilter(filter);
        List<String> providers = new ArrayList<>();
        for (Bundle bundle : context.getBundles()) {
            BundleWiring wiring = bundle.adapt(BundleWiring.class);
            if (wiring == null) {
                continue; // not resolved: cannot provide anything
            }
            for (Capability capability : wiring.getRevision().getCapabilities(requirement.getNamespace())) {
                if (f == null || f.matches(capability.getAttributes())) {
                    providers.add(bundle.getSymbolicName());
                }
            }
        }
        return providers;
    }
}
