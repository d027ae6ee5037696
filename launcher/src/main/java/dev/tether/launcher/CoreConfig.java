package dev.tether.launcher;

import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Sets properties of the platform's configuration (PID {@value #CORE_PID}) in the embedded framework
 * through Config Admin, and waits until the StubPlatform service shows them (the platform component
 * publishes its configuration in its service properties once applied). Only this run's framework is
 * touched: its cache is cleaned at start.
 */
final class CoreConfig {
    static final String CORE_PID = "dev.tether.core";
    static final String CONFIG_ADMIN = "org.osgi.service.cm.ConfigurationAdmin";

    private CoreConfig() {
    }

    /**
     * @param who the command, for messages on {@code err}
     * @return whether the platform took the properties within 10 s (a message on {@code err} if not)
     */
    static boolean apply(EmbeddedFelix felix, Map<String, Object> properties, PrintStream err, String who) throws Exception {
        ServiceTracker<Object, Object> t = new ServiceTracker<>(felix.context(), CONFIG_ADMIN, null);
        t.open(true);
        try {
            Object ca = t.waitForService(5_000);
            if (ca == null) {
                err.println(who + ": no Config Admin service: the platform stays as configured");
                return false;
            }
            // Called by reflection: the launcher shares no OSGi service API with the framework.
            ClassLoader loader = ca.getClass().getClassLoader();
            Class<?> caType = loader.loadClass(CONFIG_ADMIN);
            Class<?> configType = loader.loadClass("org.osgi.service.cm.Configuration");
            Object config = caType.getMethod("getConfiguration", String.class, String.class).invoke(ca, CORE_PID, "?");
            @SuppressWarnings("unchecked")
            Dictionary<String, Object> props = (Dictionary<String, Object>) configType.getMethod("getProperties").invoke(config);
            if (props == null) {
                props = new Hashtable<>();
            }
            for (Map.Entry<String, Object> e : properties.entrySet()) {
                props.put(e.getKey(), e.getValue());
            }
            configType.getMethod("update", Dictionary.class).invoke(config, props);
        } catch (InvocationTargetException e) {
            throw CliException.failed("could not configure " + CORE_PID + " " + properties + ": " + e.getCause());
        } finally {
            t.close();
        }
        StringBuilder filter = new StringBuilder("(&(objectClass=dev.tether.api.StubPlatform)");
        properties.forEach((k, v) -> filter.append('(').append(k).append('=').append(v).append(')'));
        filter.append(')');
        long end = System.nanoTime() + 10_000_000_000L;
        while (felix.services(filter.toString()).isEmpty()) {
            if (System.nanoTime() > end) {
                err.println(who + ": the StubPlatform service did not take " + properties + " within 10 s; going on");
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }
}
