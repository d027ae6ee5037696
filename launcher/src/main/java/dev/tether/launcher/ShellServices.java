package dev.tether.launcher;

import java.lang.management.ManagementFactory;
import java.util.Dictionary;
import java.util.Hashtable;
import javax.management.DynamicMBean;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.framework.launch.Framework;
import org.osgi.util.tracker.ServiceTracker;
import org.osgi.util.tracker.ServiceTrackerCustomizer;

/**
 * What {@code tether shell} adds to the embedded framework while the shell runs: the
 * {@link ShellExitCommand}, and a small JMX whiteboard, so that MBean services (core's
 * {@code dev.tether:type=Platform}, found by their {@code jmx.objectname} property, as Karaf's
 * Aries JMX Whiteboard finds them) are in the JVM's platform MBeanServer for jconsole and jcmd.
 */
final class ShellServices implements AutoCloseable {
    static final String JMX_OBJECTNAME = "jmx.objectname";

    private final ServiceRegistration<?> exit;
    private final ServiceTracker<Object, ObjectName> mbeans;

    private ShellServices(ServiceRegistration<?> exit, ServiceTracker<Object, ObjectName> mbeans) {
        this.exit = exit;
        this.mbeans = mbeans;
    }

    static ShellServices start(Framework framework) {
        BundleContext ctx = framework.getBundleContext();
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(EmbeddedFelix.COMMAND_SCOPE, "gogo");
        props.put(EmbeddedFelix.COMMAND_FUNCTION, new String[] {"exit"});
        ServiceRegistration<?> exit = ctx.registerService(Object.class, new ShellExitCommand(framework), props);
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ServiceTracker<Object, ObjectName> mbeans;
        try {
            mbeans = new ServiceTracker<>(ctx, ctx.createFilter("(" + JMX_OBJECTNAME + "=*)"),
                    new ServiceTrackerCustomizer<Object, ObjectName>() {
                        @Override
                        public ObjectName addingService(ServiceReference<Object> ref) {
                            Object mbean = ctx.getService(ref);
                            try {
                                ObjectName name = new ObjectName(String.valueOf(ref.getProperty(JMX_OBJECTNAME)));
                                if (!(mbean instanceof DynamicMBean) || server.isRegistered(name)) {
                                    ctx.ungetService(ref);
                                    return null;
                                }
                                server.registerMBean(mbean, name);
                                return name;
                            } catch (JMException | RuntimeException e) {
                                ctx.ungetService(ref);
                                return null; // not an MBean we can show: leave it to others
                            }
                        }

                        @Override
                        public void modifiedService(ServiceReference<Object> ref, ObjectName name) {
                        }

                        @Override
                        public void removedService(ServiceReference<Object> ref, ObjectName name) {
                            try {
                                server.unregisterMBean(name);
                            } catch (JMException e) {
                                // already gone
                            }
                            ctx.ungetService(ref);
                        }
                    });
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        mbeans.open(true);
        return new ShellServices(exit, mbeans);
    }

    /** Unregisters the MBeans and the command (before the framework's last bundles stop, or after). */
    @Override
    public void close() {
        mbeans.close();
        try {
            exit.unregister();
        } catch (IllegalStateException e) {
            // the framework already stopped
        }
    }
}
