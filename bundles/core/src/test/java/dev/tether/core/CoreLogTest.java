package dev.tether.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The rooms' warnings go through the component's OSGi Logger when there is one (so Karaf
 * attributes them to Tether's bundle), else through System.Logger; one call, one line.
 */
class CoreLogTest {
    @AfterEach
    void reset() {
        CoreLog.use(null);
    }

    @Test
    void aWarningGoesToTheOsgiLoggerWhenThereIsOne() {
        List<Object[]> calls = new ArrayList<>();
        org.osgi.service.log.Logger osgi = (org.osgi.service.log.Logger) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {org.osgi.service.log.Logger.class}, (proxy, method, args) -> {
                    calls.add(new Object[] {method.getName(), args[0], args.length > 1 ? args[1] : null});
                    return null;
                });
        CoreLog.use(() -> osgi);
        IllegalStateException fault = new IllegalStateException("munmap");
        List<LogRecord> jul = listen(() -> CoreLog.warn(StubImage.class, "munmap of Tether code failed", fault));
        assertEquals(1, calls.size());
        assertEquals("warn", calls.get(0)[0]);
        assertEquals("munmap of Tether code failed", calls.get(0)[1]);
        assertSame(fault, calls.get(0)[2]);
        assertEquals(List.of(), jul, "nothing through java.util.logging (pax-logging would attribute it to itself)");
    }

    @Test
    void withoutOneItGoesToSystemLogger() {
        List<LogRecord> jul = listen(() -> CoreLog.warn(StubImage.class, "munmap of Tether code failed", null));
        assertEquals(1, jul.size());
        assertEquals("munmap of Tether code failed", jul.get(0).getMessage());
        assertEquals(StubImage.class.getName(), jul.get(0).getLoggerName());
    }

    private static List<LogRecord> listen(Runnable r) {
        List<LogRecord> records = new ArrayList<>();
        Logger l = Logger.getLogger(StubImage.class.getName());
        Handler h = new Handler() {
            @Override
            public void publish(LogRecord record) {
                records.add(record);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        l.addHandler(h);
        try {
            r.run();
        } finally {
            l.removeHandler(h);
        }
        return records;
    }
}
