package dev.tether.core;

import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;

/** The StubPlatform service's properties, as {@link StubPlatformComponent} publishes them. */
final class ServiceProperties {
    private ServiceProperties() {
    }

    /**
     * The component properties the service carries: all but the private ones (".name"), as DS
     * does, with the settings in force in their typed, canonical form (a {@code .cfg} file gives
     * strings, and {@code fail-stop} is published as {@code FAIL_STOP}).
     */
    static Dictionary<String, Object> of(Map<String, Object> properties, Settings s) {
        Dictionary<String, Object> d = new Hashtable<>();
        properties.forEach((k, v) -> {
            if (!k.startsWith(".") && v != null) {
                d.put(k, v);
            }
        });
        d.put("failureMode", s.failureMode().name());
        d.put("tracerThreads", s.tracerThreads());
        d.put("poolSize", s.poolSize());
        d.put("prefork", s.prefork());
        d.put("cpuidFaulting", s.cpuidFaulting());
        Object address = properties.get("stubAddress");
        d.put("stubAddress", s.stubAddress() == 0 ? "" : address != null ? address : String.format("0x%x", s.stubAddress()));
        return d;
    }

    /** {@code properties} without the configured values: the defaults run instead of a refused configuration. */
    static Map<String, Object> defaults(Map<String, Object> properties) {
        Map<String, Object> d = new java.util.HashMap<>(properties);
        for (java.lang.reflect.Method m : StubPlatformConfig.class.getDeclaredMethods()) {
            if (m.getDefaultValue() != null) {
                d.put(m.getName(), m.getDefaultValue() instanceof Enum<?> ? ((Enum<?>) m.getDefaultValue()).name() : m.getDefaultValue());
            }
        }
        return d;
    }
}
