package dev.tether.core;

import dev.tether.api.FailureMode;

/**
 * How a platform runs.
 *
 * @param failureMode contained (default) or fail-stop (docs/architecture.md, section 6)
 * @param tracerThreads number of dedicated tracer threads (stubs are spread over them)
 * @param poolSize how many released subprocesses are kept for reuse (gVisor's globalPool)
 * @param prefork how many subprocesses are forked ahead in the background, so that acquiring one
 *     costs no syscall on the caller's path (0: none)
 * @param stubAddress where to map the stub page, or 0 for the arch's placement (a page near the
 *     top of the address space, walking down while taken, as gVisor's stubInit in stub_unsafe.go). A non-zero address must be
 *     free and page-aligned; the platform then fails to start rather than place the stub elsewhere.
 * @param cpuidFaulting whether stubs turn CPUID faulting on where the CPU has it (default, as gVisor's
 *     {@code enableCpuidFault}: a guest's CPUID then traps to Java as a CPUID fault). It is not free:
 *     the kernel rewrites MSR_MISC_FEATURES_ENABLES at every context switch into and out of such a
 *     thread ({@code set_cpuid_faulting} in arch/x86/kernel/process.c), which a hypervisor traps; on
 *     the 2-vCPU VMs Tether is developed on that adds ~16 us to every ptrace round trip. Off: guests
 *     see the host's CPUID, and stubs and guests switch at the speed of plain ptrace.
 */
public record Settings(FailureMode failureMode, int tracerThreads, int poolSize, int prefork, long stubAddress,
        boolean cpuidFaulting) {
    public Settings {
        if (failureMode == null) {
            throw new IllegalArgumentException("failure mode is required (contained or fail-stop)");
        }
        if (tracerThreads < 1 || tracerThreads > 64) {
            throw new IllegalArgumentException("tracer thread count must be 1..64, got " + tracerThreads);
        }
        if (poolSize < 0 || poolSize > 4096) {
            throw new IllegalArgumentException("pool size must be 0..4096, got " + poolSize);
        }
        if (prefork < 0 || prefork > poolSize) {
            throw new IllegalArgumentException("pre-fork count must be 0..pool size (" + poolSize + "), got " + prefork);
        }
        if (stubAddress < 0) {
            throw new IllegalArgumentException(String.format("stub address 0x%x is not a user-space address", stubAddress));
        }
    }

    /** Settings with CPUID faulting where the CPU has it (gVisor's choice). */
    public Settings(FailureMode failureMode, int tracerThreads, int poolSize, int prefork, long stubAddress) {
        this(failureMode, tracerThreads, poolSize, prefork, stubAddress, true);
    }

    /** These settings with CPUID faulting on (where the CPU has it) or off. */
    public Settings withCpuidFaulting(boolean on) {
        return new Settings(failureMode, tracerThreads, poolSize, prefork, stubAddress, on);
    }

    /** Settings with the arch's stub placement. */
    public Settings(FailureMode failureMode, int tracerThreads, int poolSize, int prefork) {
        this(failureMode, tracerThreads, poolSize, prefork, 0);
    }

    public Settings(FailureMode failureMode, int tracerThreads) {
        this(failureMode, tracerThreads, 16, 0);
    }

    public static Settings defaults() {
        return new Settings(FailureMode.CONTAINED, 2);
    }

    /**
     * The settings of a configuration (PID {@code dev.tether.core}): {@code properties} as Config
     * Admin holds them (strings from a Karaf {@code .cfg} file, or typed values), {@code config}
     * their typed view by SCR. The failure mode is read from {@code properties} itself, so that
     * the spellings operators see printed are accepted ({@link #failureMode(Object)}).
     *
     * @throws RefusedValueException naming the property, the value and what it may be, e.g.
     *     {@code poolSize=-1: must be 0..4096}
     */
    public static Settings of(java.util.Map<String, ?> properties, StubPlatformConfig config) {
        FailureMode mode = failureMode(properties.get("failureMode"));
        int threads = value(properties, "tracerThreads", "an integer 1..64", config::tracerThreads);
        requireRange(properties, "tracerThreads", threads, 1, 64);
        int pool = value(properties, "poolSize", "an integer 0..4096", config::poolSize);
        requireRange(properties, "poolSize", pool, 0, 4096);
        int prefork = value(properties, "prefork", "an integer 0..poolSize", config::prefork);
        if (prefork < 0 || prefork > pool) {
            throw new RefusedValueException("prefork", valueOf(properties, "prefork", prefork),
                    "must be 0..poolSize (" + pool + ")");
        }
        String address = value(properties, "stubAddress", "an address (0x... or decimal)", config::stubAddress);
        boolean cpuid = value(properties, "cpuidFaulting", "true or false", config::cpuidFaulting);
        long at = parseAddress(address);
        try {
            return new Settings(mode, threads, pool, prefork, at, cpuid);
        } catch (IllegalArgumentException e) {
            // the ranges above were checked: only the address is left (above 2^63, "not a user-space address")
            throw new RefusedValueException("stubAddress", address, e.getMessage());
        }
    }

    /**
     * A failure mode as an operator may write it: the enum's name or the lower-case, hyphenated
     * form that {@code tether:info} and the log print ({@code fail-stop}), or camel case
     * ({@code failStop}), in any case; absent means {@link FailureMode#CONTAINED}.
     *
     * @throws RefusedValueException for anything else
     */
    static FailureMode failureMode(Object value) {
        if (value == null) {
            return FailureMode.CONTAINED;
        }
        if (value instanceof FailureMode) {
            return (FailureMode) value;
        }
        String wanted = squash(String.valueOf(value));
        for (FailureMode m : FailureMode.values()) {
            if (squash(m.name()).equals(wanted)) {
                return m;
            }
        }
        throw new RefusedValueException("failureMode", value, "must be contained or fail-stop (any case; CONTAINED,"
                + " FAIL_STOP and failStop are read the same)");
    }

    /** The printed name of a failure mode, as tether:info and the log show it: {@code fail-stop}. */
    static String printed(FailureMode mode) {
        return mode.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    private static String squash(String s) {
        return s.trim().replace("-", "").replace("_", "").toLowerCase(java.util.Locale.ROOT);
    }

    /** A configured value; one SCR cannot convert (a ComponentException) is refused naming the property. */
    static <T> T value(java.util.Map<String, ?> properties, String name, String expected,
            java.util.function.Supplier<T> value) {
        try {
            return value.get();
        } catch (RuntimeException e) {
            throw new RefusedValueException(name, properties.get(name), "must be " + expected);
        }
    }

    private static Object valueOf(java.util.Map<String, ?> properties, String name, Object converted) {
        Object raw = properties.get(name);
        return raw != null ? raw : converted;
    }

    private static void requireRange(java.util.Map<String, ?> properties, String property, int value, int min, int max) {
        if (value < min || value > max) {
            throw new RefusedValueException(property, valueOf(properties, property, value), "must be " + min + ".." + max);
        }
    }

    /**
     * The structural settings of these that differ from {@code now}, as {@code key=value, ...}:
     * what a refused replacement names.
     */
    String changedFrom(Settings now) {
        java.util.List<String> keys = new java.util.ArrayList<>();
        if (failureMode != now.failureMode) {
            keys.add("failureMode=" + printed(failureMode));
        }
        if (tracerThreads != now.tracerThreads) {
            keys.add("tracerThreads=" + tracerThreads);
        }
        if (stubAddress != now.stubAddress) {
            keys.add(String.format("stubAddress=0x%x", stubAddress));
        }
        if (cpuidFaulting != now.cpuidFaulting) {
            keys.add("cpuidFaulting=" + cpuidFaulting);
        }
        return String.join(", ", keys);
    }

    /**
     * These settings as configuration properties, for operators: {@code failureMode=contained,
     * tracerThreads=2, ...}.
     */
    public String describe() {
        return "failureMode=" + printed(failureMode) + ", tracerThreads=" + tracerThreads + ", poolSize=" + poolSize
                + ", prefork=" + prefork + ", stubAddress=" + (stubAddress == 0 ? "(the arch's placement)"
                        : String.format("0x%x", stubAddress)) + ", cpuidFaulting=" + cpuidFaulting;
    }

    /**
     * A stub address as an operator writes it: empty (the arch's placement), {@code 0x...} hex or
     * decimal.
     */
    static long parseAddress(String text) {
        String t = text == null ? "" : text.trim();
        if (t.isEmpty()) {
            return 0;
        }
        try {
            if (t.startsWith("0x") || t.startsWith("0X")) {
                return Long.parseUnsignedLong(t.substring(2), 16);
            }
            return Long.parseUnsignedLong(t);
        } catch (NumberFormatException e) {
            throw new RefusedValueException("stubAddress", text, "not an address: write it as 0x... (hex)"
                    + " or decimal, or leave it empty for the arch's placement");
        }
    }

    /**
     * Whether {@code other} can be applied to a platform running with these settings: only the
     * pool size and the pre-fork count may differ. Anything else (failure mode, tracer threads,
     * stub address, CPUID faulting) changes what existing stubs are, so it needs a new platform.
     */
    boolean sameStructure(Settings other) {
        return failureMode == other.failureMode && tracerThreads == other.tracerThreads
                && stubAddress == other.stubAddress && cpuidFaulting == other.cpuidFaulting;
    }
}
