package dev.tether.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the health check checks, as pure functions of what the host shows (so they are unit
 * tested with made-up inputs): ptrace permitted, seccomp filters available, the host's arch
 * bundle present with its services and the platform running.
 */
final class HostChecks {
    /** How bad a finding is (mapped to Felix HC's OK / WARN / CRITICAL). */
    enum Level { OK, WARN, CRITICAL }

    /** One line of the health check's result. */
    record Finding(Level level, String message) {
    }

    /** CAP_SYS_PTRACE (include/uapi/linux/capability.h). */
    static final int CAP_SYS_PTRACE = 19;
    /**
     * The seccomp actions Tether's filters use (/proc/sys/kernel/seccomp/actions_avail names):
     * kill_thread (stub default, Linux >= 4.8 ordering), kill_process (bad arch), trap (arch
     * vsyscall rules), errno (probeSeccomp), allow.
     */
    static final Set<String> ACTIONS_NEEDED = Set.of("kill_process", "kill_thread", "trap", "errno", "allow");
    /** The four arch services core composes (ArchService / dev.tether.spi). */
    static final Set<String> ARCH_SERVICES = Set.of("dev.tether.spi.RegisterLayout", "dev.tether.spi.StubProgram",
            "dev.tether.seccomp.SyscallTable", "dev.tether.seccomp.SeccompContribution");

    private HostChecks() {
    }

    /**
     * ptrace permitted.
     *
     * @param yamaScope content of /proc/sys/kernel/yama/ptrace_scope, empty without Yama
     * @param selfStatus content of /proc/self/status (CapEff, Seccomp)
     * @param platformArch the running platform's arch (its probe stub was attached), or null
     */
    static List<Finding> ptrace(String yamaScope, String selfStatus, String platformArch) {
        List<Finding> out = new ArrayList<>();
        String scope = yamaScope.trim();
        boolean capPtrace = hasCapability(field(selfStatus, "CapEff"), CAP_SYS_PTRACE);
        switch (scope) {
            case "":
                out.add(new Finding(Level.OK, "ptrace: no Yama LSM (classic ptrace permissions apply)"));
                break;
            case "0":
            case "1":
                // 1 (restricted) still lets a process trace its descendants, and every stub is one
                out.add(new Finding(Level.OK, "ptrace: Yama ptrace_scope " + scope + " lets the JVM trace its own stubs"));
                break;
            case "2":
                out.add(new Finding(capPtrace ? Level.OK : Level.CRITICAL, "ptrace: Yama ptrace_scope 2 (admin-only)"
                        + (capPtrace ? ", and the JVM has CAP_SYS_PTRACE" : " and the JVM lacks CAP_SYS_PTRACE")));
                break;
            case "3":
                out.add(new Finding(Level.CRITICAL, "ptrace: Yama ptrace_scope 3 forbids all attaching until reboot"));
                break;
            default:
                out.add(new Finding(Level.WARN, "ptrace: unknown Yama ptrace_scope \"" + scope + "\""));
        }
        if (platformArch != null) {
            out.add(new Finding(Level.OK, "ptrace: attach works (the " + platformArch + " platform's probe stub was attached)"));
        } else if ("2".equals(field(selfStatus, "Seccomp"))) {
            out.add(new Finding(Level.WARN, "ptrace: the JVM runs under a seccomp filter (a container profile?),"
                    + " which may forbid ptrace; not verified, no platform is running"));
        }
        return out;
    }

    /**
     * Seccomp filters available.
     *
     * @param prctlError null when prctl(PR_GET_SECCOMP) worked, else its errno name (EINVAL: no CONFIG_SECCOMP)
     * @param actionsAvail content of /proc/sys/kernel/seccomp/actions_avail (Linux >= 4.14), or null
     */
    static List<Finding> seccomp(String prctlError, String actionsAvail) {
        List<Finding> out = new ArrayList<>();
        if (prctlError != null) {
            out.add(new Finding(Level.CRITICAL, "seccomp: not available in this kernel (prctl(PR_GET_SECCOMP): "
                    + prctlError + ")"));
            return out;
        }
        if (actionsAvail == null) {
            out.add(new Finding(Level.WARN, "seccomp: available, but the kernel does not list its filter actions"
                    + " (/proc/sys/kernel/seccomp/actions_avail needs Linux >= 4.14)"));
            return out;
        }
        Set<String> have = new TreeSet<>(List.of(actionsAvail.trim().split("\\s+")));
        Set<String> missing = new TreeSet<>(ACTIONS_NEEDED);
        missing.removeAll(have);
        out.add(missing.isEmpty()
                ? new Finding(Level.OK, "seccomp: filter mode available with the actions Tether uses " + new TreeSet<>(ACTIONS_NEEDED))
                : new Finding(Level.CRITICAL, "seccomp: the kernel lacks filter actions " + missing + " (has " + have + ")"));
        return out;
    }

    /**
     * A refused configuration value, said first: it may be why the platform runs with other
     * settings than configured, or why it does not run. WARN while a platform runs, else CRITICAL.
     *
     * @param refusal {@code key=value: reason; running with ...}, or null
     */
    static List<Finding> configuration(String refusal, boolean platformRunning) {
        if (refusal == null) {
            return List.of();
        }
        return List.of(new Finding(platformRunning ? Level.WARN : Level.CRITICAL, "configuration refused: " + refusal));
    }

    /**
     * The host's arch bundle present and the platform running.
     *
     * @param archServices the objectClasses of the services with the {@code tether.arch} property, by arch
     * @param platformArch the running platform's arch, or null
     * @param startFailure why the platform last failed to start, or null
     * @param refusal why a teardown was last refused, or null
     */
    static List<Finding> arch(Map<String, Set<String>> archServices, String platformArch, String startFailure,
            String refusal) {
        List<Finding> out = new ArrayList<>();
        if (archServices.isEmpty()) {
            out.add(new Finding(Level.CRITICAL, "arch: no arch bundle for this host is active (no service with"
                    + " tether.arch); install and start dev.tether.arch.amd64 or dev.tether.arch.arm64, whichever resolves"));
        }
        for (Map.Entry<String, Set<String>> e : archServices.entrySet()) {
            Set<String> missing = new TreeSet<>(ARCH_SERVICES);
            missing.removeAll(e.getValue());
            out.add(missing.isEmpty()
                    ? new Finding(Level.OK, "arch: " + e.getKey() + " services registered (" + ARCH_SERVICES.size() + " of "
                            + ARCH_SERVICES.size() + ")")
                    : new Finding(Level.CRITICAL, "arch: " + e.getKey() + " lacks services " + missing));
        }
        if (platformArch != null) {
            out.add(new Finding(Level.OK, "platform: running on " + platformArch));
        } else if (!archServices.isEmpty()) {
            out.add(new Finding(Level.CRITICAL, "platform: not running"
                    + (startFailure != null ? ": " + startFailure : " (the arch services are there; see the log)")));
        }
        if (refusal != null) {
            out.add(new Finding(Level.WARN, "platform: a teardown was refused: " + refusal));
        }
        return out;
    }

    /** A field of /proc/[pid]/status, empty when absent. */
    static String field(String status, String name) {
        for (String line : status.split("\n")) {
            if (line.startsWith(name + ":")) {
                return line.substring(name.length() + 1).trim();
            }
        }
        return "";
    }

    /** Whether the hex capability mask (CapEff) has bit {@code cap}; false when unreadable. */
    static boolean hasCapability(String hexMask, int cap) {
        try {
            return (Long.parseUnsignedLong(hexMask.trim(), 16) >>> cap & 1) != 0;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
