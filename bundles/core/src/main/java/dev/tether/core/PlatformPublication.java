package dev.tether.core;

import dev.tether.api.PlatformClosedException;
import dev.tether.api.StubPlatform;
import java.util.Dictionary;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * The platform behind the StubPlatform service and the service's registration, which change
 * together: <b>a consumer that sees the new platform sees the new properties too</b>. SCR alone
 * cannot keep that promise (it updates a component's service properties only after
 * {@code modified} returned, when the new platform is already in use), so the component registers
 * the service itself and publishes each new platform with its properties as one step for every
 * other thread: a call from another thread that would reach the new platform waits until the
 * properties are set (microseconds; the framework tells the service's listeners in that time, and
 * a listener that calls the service from the publishing thread reaches the new platform; it must
 * not wait for another thread that calls the service).
 *
 * <p>{@link #register}, {@link #publish} and {@link #withdraw} are called under the component's
 * swap lock; {@link #current} from any thread.
 */
final class PlatformPublication {
    /**
     * Held while a new platform and its properties are being published; {@link #publishing} names
     * the thread that does it (null otherwise).
     */
    private final Object publish = new Object();
    private volatile Thread publishing;
    private volatile StubPlatformImpl impl;
    /** The StubPlatform service, while it is registered (never outside OSGi). */
    private ServiceRegistration<StubPlatform> registration;

    /**
     * Makes {@code p} the first platform and registers {@code service} with {@code properties}
     * (ServiceProperties.of); {@code context} is null outside OSGi (tests): then nothing is registered.
     */
    void register(BundleContext context, StubPlatform service, StubPlatformImpl p, Dictionary<String, Object> properties) {
        impl = p;
        if (context != null) {
            registration = context.registerService(StubPlatform.class, service, properties);
        }
    }

    /** Makes {@code p} the platform behind the service and sets the service's properties, as one step. */
    void publish(StubPlatformImpl p, Dictionary<String, Object> properties) {
        synchronized (publish) {
            publishing = Thread.currentThread();
            try {
                impl = p;
                if (registration != null) {
                    // synchronous: the service's listeners hear of it now, on this thread
                    registration.setProperties(properties);
                }
            } finally {
                publishing = null;
            }
        }
    }

    /**
     * Unregisters the service first (its users let go of it), as DS would, then hands back the
     * platform that was behind it (null if none) for the caller to close.
     */
    StubPlatformImpl withdraw() {
        if (registration != null) {
            try {
                registration.unregister();
            } catch (IllegalStateException alreadyGone) {
                // the framework unregistered it (the bundle is stopping)
            }
            registration = null;
        }
        StubPlatformImpl p = impl;
        impl = null;
        return p;
    }

    /** The platform now, without waiting for a publication under way; null once withdrawn. */
    StubPlatformImpl peek() {
        return impl;
    }

    /** The platform for a call, after any publication under way on another thread. */
    StubPlatformImpl current() {
        StubPlatformImpl p = impl;
        Thread t = publishing;
        if (t != null && t != Thread.currentThread()) {
            // a new platform is being published: wait until its properties are set too. (impl is
            // written after publishing, so a thread that read the new impl and then a null
            // publishing comes after the properties.)
            synchronized (publish) {
                p = impl;
            }
        }
        if (p == null) {
            throw new PlatformClosedException("the stub platform service was unregistered (its arch bundle went away)");
        }
        return p;
    }
}
