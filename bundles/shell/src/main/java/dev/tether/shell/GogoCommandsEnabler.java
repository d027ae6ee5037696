package dev.tether.shell;

import org.osgi.service.component.ComponentContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * Enables the Gogo {@code tether:} functions ({@link TetherCommands}, {@link BenchCommand},
 * {@link RunCommand}, declared disabled) unless the framework is Apache Karaf, where the
 * Karaf-native commands of {@code dev.tether.karaf.shell} (feature tether-shell) serve the same
 * names. Both at once would be two commands per name, and Karaf's command processor keeps
 * whichever registered last and drops both when either goes (SessionFactoryImpl.register /
 * unregister in Karaf's shell core).
 */
@Component(service = {}, immediate = true)
public final class GogoCommandsEnabler {
    /** Set by Karaf's launcher (org.apache.karaf.main.Main) in every Karaf, as a system property. */
    static final String KARAF_BASE = "karaf.base";

    @Activate
    void activate(ComponentContext context) {
        if (context.getBundleContext().getProperty(KARAF_BASE) == null) {
            for (Class<?> c : new Class<?>[] {TetherCommands.class, BenchCommand.class, RunCommand.class}) {
                context.enableComponent(c.getName());
            }
        }
    }
}
