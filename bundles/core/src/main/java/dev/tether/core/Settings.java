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
     * The settings of a configuration (PID {@code dev.tether.core}).
     *
     * @throws IllegalArgumentException naming the property, its allowed values and the value when
     *     one is invalid, e.g. {@code poolSize must be 0..4096, got -1}
     */
    public static Settings of(StubPlatformConfig config) {
        FailureMode mode = property("failureMode", "CONTAINED or FAIL_STOP", config::failureMode);
        if (mode == null) {
            throw new IllegalArgumentException("failureMode is required: CONTAINED or FAIL_STOP");
        }
        int threads = property("tracerThreads", "an integer 1..64", config::tracerThreads);
        requireRange("tracerThreads", threads, 1, 64);
        int pool = property("poolSize", "an integer 0..4096", config::poolSize);
        requireRange("poolSize", pool, 0, 4096);
        int prefork = property("prefork", "an integer 0..poolSize", config::prefork);
        if (prefork < 0 || prefork > pool) {
            throw new IllegalArgumentException("prefork must be 0..poolSize (" + pool + "), got " + prefork);
        }
        String address = property("stubAddress", "an address (0x... or decimal)", config::stubAddress);
        boolean cpuid = property("cpuidFaulting", "true or false", config::cpuidFaulting);
        return new Settings(mode, threads, pool, prefork, parseAddress(address), cpuid);
    }

    /** A configured value; one SCR cannot convert (a ComponentException) is refused naming the property. */
    private static <T> T property(String name, String expected, java.util.function.Supplier<T> value) {
        try {
            return value.get();
        } catch (RuntimeException e) {
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            String why = String.valueOf(root.getMessage()).replaceFirst("^[\\w.$]+(Exception|Error): ", "");
            throw new IllegalArgumentException(name + " must be " + expected + ": "
                    + (why.length() > 120 ? why.substring(0, 120) + "... (" + why.length() + " characters)" : why));
        }
    }

    private static void requireRange(String property, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(property + " must be " + min + ".." + max + ", got " + value);
        }
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
            throw new IllegalArgumentException("stubAddress \"" + text + "\" is not an address: write it as 0x... (hex)"
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
