package dev.tether.core;

import dev.tether.api.FailStopOrphans;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The JVM-wide list of what fail-stop platforms left behind when they could not be torn down
 * (their stubs' pids and their tracer threads' tids), so that later platforms can say so
 * ({@link FailStopOrphans}).
 *
 * <p>JVM-wide on purpose, and kept in the system properties: the orphans live until the JVM
 * exits, while a static field lives only as long as the core bundle's class loader, which a
 * {@code feature:uninstall} and a new {@code feature:install} (or a bundle update) replace. The
 * system properties are the one map every class loader of the JVM shares and they last exactly
 * as long as the orphans. Entries are only added; each read keeps only what is still alive, and
 * a pid counts only while the process is traced by one of the recorded tracer threads (so a
 * reused pid is not taken for a stub).
 */
final class OrphanRegistry {
    /** The system property: {@code pid,pid/tid,tid;...}, one entry per platform left behind. */
    static final String PROPERTY = "dev.tether.core.failStopOrphans";

    private OrphanRegistry() {
    }

    /** Records a fail-stop platform that stays: its live processes and its tracer threads. */
    static void record(List<Integer> pids, List<Integer> tracerTids) {
        if (pids.isEmpty() && tracerTids.isEmpty()) {
            return;
        }
        String entry = join(pids) + "/" + join(tracerTids);
        Properties all = System.getProperties();
        synchronized (all) { // Properties is a Hashtable: its monitor is the same object in every class loader
            String before = all.getProperty(PROPERTY, "");
            all.setProperty(PROPERTY, before.isEmpty() ? entry : before + ";" + entry);
        }
    }

    /** What is alive now of every recorded platform. */
    static FailStopOrphans alive() {
        String text = System.getProperty(PROPERTY, "");
        if (text.isEmpty()) {
            return FailStopOrphans.NONE;
        }
        int platforms = 0;
        int tracers = 0;
        Set<Integer> pids = new TreeSet<>();
        for (String entry : text.split(";")) {
            String[] parts = (entry + "/").split("/", -1);
            List<Integer> tids = parse(parts[1]);
            Set<String> liveTids = new HashSet<>();
            for (int tid : tids) {
                if (Files.exists(Path.of("/proc/self/task/" + tid))) {
                    liveTids.add(Integer.toString(tid));
                }
            }
            List<Integer> livePids = new ArrayList<>();
            for (int pid : parse(parts[0])) {
                String status = Host.readOrEmpty(Path.of("/proc/" + pid + "/status"));
                if (!HostChecks.field(status, "State").startsWith("Z") && liveTids.contains(HostChecks.field(status, "TracerPid"))) {
                    livePids.add(pid);
                }
            }
            if (!livePids.isEmpty() || !liveTids.isEmpty()) {
                platforms++;
                tracers += liveTids.size();
                pids.addAll(livePids);
            }
        }
        return new FailStopOrphans(platforms, new ArrayList<>(pids), tracers);
    }

    private static String join(List<Integer> ids) {
        return ids.stream().map(String::valueOf).collect(Collectors.joining(","));
    }

    private static List<Integer> parse(String ids) {
        List<Integer> out = new ArrayList<>();
        for (String s : ids.split(",")) {
            if (!s.isBlank()) {
                try {
                    out.add(Integer.parseInt(s.trim()));
                } catch (NumberFormatException e) {
                    // not ours: someone edited the property; skip the word
                }
            }
        }
        return out;
    }
}
