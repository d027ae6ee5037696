package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;

/**
 * Where JNA unpacks its library: an operator's {@code jna.tmpdir} is kept; else Karaf's data
 * directory; else the bundle's data area. (JNA reads the property once, when it loads; this test
 * JVM's JNA has long loaded, so changing the property here moves nothing.)
 */
class JnaPlaceTest {
    @TempDir
    Path tmp;

    @Test
    void anOperatorsChoiceIsKept() {
        String before = System.getProperty(JnaPlace.TMPDIR);
        try {
            System.setProperty(JnaPlace.TMPDIR, tmp.resolve("mine").toString());
            assertEquals(tmp.resolve("mine"), JnaPlace.ensure(context(Map.of("karaf.data", tmp.toString()), tmp.resolve("data"))));
            assertEquals(tmp.resolve("mine").toString(), System.getProperty(JnaPlace.TMPDIR));
        } finally {
            restore(before);
        }
    }

    @Test
    void karafsDataDirectoryThenTheBundlesDataArea() {
        String before = System.getProperty(JnaPlace.TMPDIR);
        try {
            System.clearProperty(JnaPlace.TMPDIR);
            Path karaf = JnaPlace.ensure(context(Map.of("karaf.data", tmp.resolve("karaf-data").toString()), tmp.resolve("bundle")));
            assertEquals(tmp.resolve("karaf-data/tmp/jna"), karaf);
            assertTrue(Files.isDirectory(karaf));
            assertEquals(karaf.toString(), System.getProperty(JnaPlace.TMPDIR));

            System.clearProperty(JnaPlace.TMPDIR);
            Path bundle = JnaPlace.ensure(context(Map.of(), tmp.resolve("bundle")));
            assertEquals(tmp.resolve("bundle/jna"), bundle);
            assertTrue(Files.isDirectory(bundle));
        } finally {
            restore(before);
        }
    }

    private static void restore(String before) {
        if (before == null) {
            System.clearProperty(JnaPlace.TMPDIR);
        } else {
            System.setProperty(JnaPlace.TMPDIR, before);
        }
    }

    /** A BundleContext with these framework properties and this data area (what JnaPlace asks). */
    private static BundleContext context(Map<String, String> properties, Path dataArea) {
        return (BundleContext) Proxy.newProxyInstance(JnaPlaceTest.class.getClassLoader(), new Class<?>[] {BundleContext.class},
                (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "getProperty":
                            return properties.get((String) args[0]);
                        case "getDataFile":
                            return new File(dataArea.toFile(), (String) args[0]);
                        default:
                            throw new UnsupportedOperationException(method.getName());
                    }
                });
    }
}
