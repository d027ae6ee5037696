package dev.tether.spi;

/**
 * The machine code of an architecture: the stub (gVisor's {@code stub_<arch>.s}) and the
 * host-side clone trampoline (docs/architecture.md, section 10, item 4), each produced by the arch bundle's typed encoder.
 *
 * <h2>The stub</h2>
 * Entered with the expected parent pid in R15 (amd64) / X7 (arm64): arms PDEATHSIG, checks the
 * parent, sets RBX/X9 = 0 and stops itself with {@code kill(getpid(), SIGSTOP)}. The offset of
 * that syscall instruction is where every injected syscall starts; after it the stub traps
 * (int3 / brk #3), or, when RBX/X9 == 1 and the injected clone returned 0 in the child, re-runs
 * its bootstrap.
 *
 * <h2>The trampoline</h2>
 * A C-ABI function {@code long trampoline(const uint64_t *args)} that the JVM calls through a
 * function pointer. It blocks all signals in the calling thread, does the raw clone, restores the
 * mask and returns the child's pid or -errno. In the child it runs: setsid; every signal 1..64 to
 * SIG_DFL; unmask all; unregister rseq; seal the stub page (mseal, Linux 6.10+; skipped where the
 * kernel answers ENOSYS or EPERM); drop capabilities 0..n-1 from the bounding set
 * (PR_CAPBSET_DROP); capset with all-zero effective, permitted and inheritable sets (which also
 * empties the ambient set); PR_SET_NO_NEW_PRIVS; install the seccomp filter; ARCH_SET_CPUID(0)
 * where the arch has it; then it jumps to the stub with the expected parent pid in R15/X7. The
 * capability steps come before the filter, which allows neither prctl(PR_CAPBSET_DROP) nor
 * capset; the later steps need no capability (with NO_NEW_PRIVS, installing a filter needs no
 * CAP_SYS_ADMIN). A failing step (but the tolerated mseal answers) makes the child exit with the
 * errno as its status, so no stub ever runs with the JVM's capabilities or without its filter.
 * The argument block is an array of 64-bit words, indexed by the {@code ARG_*} constants below.
 */
@org.osgi.annotation.versioning.ConsumerType
public interface StubProgram {
    /** Word index: clone flags (low byte = exit signal). */
    int ARG_CLONE_FLAGS = 0;
    /** Word index: absolute address of the stub entry to jump to in the child. */
    int ARG_STUB_ENTRY = 1;
    /** Word index: the parent pid the stub must see (the JVM's pid). */
    int ARG_PPID = 2;
    /** Word index: address of a {@code struct sock_fprog}, or 0 for no filter. */
    int ARG_FPROG = 3;
    /** Word index: flags for {@code seccomp(SECCOMP_SET_MODE_FILTER, flags, fprog)}. */
    int ARG_SECCOMP_FLAGS = 4;
    /** Word index: glibc's {@code __rseq_offset} from the thread pointer. */
    int ARG_RSEQ_OFFSET = 5;
    /** Word index: length of the registered rseq area, 0 when none is registered (skip). */
    int ARG_RSEQ_LEN = 6;
    /** Word index: the rseq signature glibc registered with. */
    int ARG_RSEQ_SIG = 7;
    /** Word index: 1 to enable CPUID faulting in the child (ignored where unsupported). */
    int ARG_CPUID_FAULT = 8;
    /** Word index: scratch, all-ones signal set (filled by core). */
    int ARG_FULL_SIGSET = 9;
    /** Word index: scratch, the caller's saved signal mask (written by the trampoline). */
    int ARG_SAVED_SIGSET = 10;
    /** Word index: first of four zero words, a {@code struct sigaction} for SIG_DFL. */
    int ARG_SIGACTION_DFL = 11;
    /** Word index: start of the stub mapping to seal with {@code mseal(2)} in the child. */
    int ARG_SEAL_ADDRESS = 15;
    /** Word index: length of the stub mapping to seal, 0 for no sealing (skip). */
    int ARG_SEAL_LENGTH = 16;
    /**
     * Word index: how many capabilities to drop from the bounding set, numbers 0..n-1
     * ({@code CAP_LAST_CAP + 1} of the running kernel), or 0 to leave it (the caller lacks
     * CAP_SETPCAP, so the drop would fail).
     */
    int ARG_CAPBSET_COUNT = 17;
    /**
     * Word index: a {@code struct __user_cap_header_struct} for capset, filled by core: the u32
     * {@code version = _LINUX_CAPABILITY_VERSION_3}, then the int {@code pid = 0} (the calling
     * thread; include/uapi/linux/capability.h).
     */
    int ARG_CAP_HEADER = 18;
    /**
     * Word index: first of three zero words, the two {@code struct __user_cap_data_struct}s
     * (effective, permitted, inheritable: 6 x u32) that capset sets: no capability at all.
     */
    int ARG_CAP_DATA = 19;
    /** Number of words in the argument block. */
    int ARG_WORDS = 22;

    /** Tether's name of the architecture. */
    String arch();

    /** The stub. */
    MachineCode stub();

    /** The host-side clone trampoline. */
    MachineCode trampoline();

    /**
     * The signature glibc registers its per-thread rseq area with on this arch (the
     * {@code RSEQ_SIG} of sysdeps/unix/sysv/linux/&lt;arch&gt;/bits/rseq.h: x86-64 0x53053053,
     * aarch64 0xd428bc00); the trampoline must pass it to unregister the area (docs/architecture.md, section 10, item 1).
     */
    int rseqSignature();

    /**
     * The first address at which to try to map the stub, for the given page size: a page near
     * the top of the user address space (amd64 {@code 0x7fffffff0000}, gVisor's {@code stubInitAddress}). Core tries it
     * with a hint mapping and walks down one page at a time while the kernel places it elsewhere.
     */
    long stubPlacementStart(long pageSize);

    /**
     * The end of the user address space that stubs unmap up to (gVisor's
     * {@code maximumUserAddress} in {@code subprocess_<arch>.go}, as {@code subprocess.unmap} uses it: amd64 {@code 0x7ffffffff000}, arm64 with 48-bit
     * virtual addresses {@code 0xfffffffff000}). Core falls back to reading the stub's
     * /proc/&lt;pid&gt;/maps when the kernel's address space is smaller.
     */
    long maximumUserAddress();

    /**
     * Whether the CPU supports CPUID faulting (amd64: the {@code cpuid_fault} flag of
     * /proc/cpuinfo); always false where the arch has no such thing.
     *
     * @param procCpuinfo the text of /proc/cpuinfo
     */
    boolean cpuidFaulting(String procCpuinfo);

    /**
     * The ptrace round trip of this arch ({@link RoundTripBlock}): SETREGSETs, a resume, the wait
     * and GETREGSETs in one native call, which core maps executable in the JVM and uses on its
     * hot paths instead of one native call each. Empty (the default) where the arch has none:
     * core then makes the calls one by one.
     */
    default java.util.Optional<MachineCode> ptraceRoundTrip() {
        return java.util.Optional.empty();
    }
}
