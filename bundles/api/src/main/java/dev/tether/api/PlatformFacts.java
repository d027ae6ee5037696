package dev.tether.api;

/**
 * What the platform found out about this host when it started.
 *
 * @param arch the architecture of the arch bundle in use ({@code amd64}, {@code arm64})
 * @param kernel the kernel release ({@code /proc/sys/kernel/osrelease})
 * @param seccompAfterPtrace true when the kernel runs seccomp after the ptrace syscall-entry
 *     report (Linux >= 4.8, commit 93e35efb8de45), as found by gVisor's probeSeccomp
 * @param defaultAction the stub filter's default action chosen from that probe
 *     ({@code kill_thread} or {@code allow})
 * @param cpuidFaulting whether the CPU supports CPUID faulting (enabled in every stub if so)
 * @param stubAddress where the stub page is mapped (the same in every stub)
 * @param stubLength length of the stub mapping (a multiple of the page size)
 * @param pageSize the kernel's page size
 * @param failureMode contained or fail-stop
 * @param tracerThreads how many dedicated tracer threads own the stubs
 */
public record PlatformFacts(String arch, String kernel, boolean seccompAfterPtrace, String defaultAction,
        boolean cpuidFaulting, long stubAddress, long stubLength, long pageSize, FailureMode failureMode,
        int tracerThreads) {
}
