package dev.tether.core;

import java.lang.reflect.Proxy;
import java.util.Map;

/** {@link StubPlatformConfig} instances for tests: the given values, the annotation's defaults for the rest. */
final class Configs {
    private Configs() {
    }

    static StubPlatformConfig of(Map<String, Object> values) {
        return (StubPlatformConfig) Proxy.newProxyInstance(StubPlatformConfig.class.getClassLoader(),
                new Class<?>[] {StubPlatformConfig.class}, (proxy, method, args) -> {
                    if (method.getDeclaringClass() == Object.class || method.getName().equals("annotationType")) {
                        switch (method.getName()) {
                            case "annotationType": return StubPlatformConfig.class;
                            case "toString": return "StubPlatformConfig" + values;
                            case "hashCode": return values.hashCode();
                            default: return proxy == args[0];
                        }
                    }
                    Object v = values.get(method.getName());
                    return v != null ? v : method.getDefaultValue();
                });
    }

    /** Activates {@code c} as DS would, with {@code values} as its configuration, outside OSGi (nothing is registered). */
    static void activate(StubPlatformComponent c, Map<String, Object> values) {
        c.activate(null, values, of(values));
    }

    /** A configuration change, as DS would tell {@code c}. */
    static void modify(StubPlatformComponent c, Map<String, Object> values) {
        c.modified(values, of(values));
    }

    static StubPlatformComponent component() {
        return new StubPlatformComponent(TestArch.layout(), TestArch.program(), TestArch.table(), TestArch.contribution());
    }
}
