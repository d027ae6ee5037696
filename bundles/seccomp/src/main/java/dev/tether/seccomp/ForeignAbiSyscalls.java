package dev.tether.seccomp;

/**
 * What a {@link Policy} does with the syscall numbers of its architecture's {@link ForeignAbi}
 * (x32's on x86-64). Only matters on an architecture that has one.
 */
public enum ForeignAbiSyscalls {
    /**
     * They get the bad-arch action, checked right after the arch: what libseccomp does for
     * x86-64 filters (src/gen_bpf.c, {@code _gen_bpf_arch}: {@code nr >= X32_SYSCALL_BIT} and
     * {@code nr != -1}). The default. -1 is left to the rules: a tracer skips a syscall by
     * setting its number to -1, and since Linux 4.8 the filter also runs after the tracer has
     * seen the call (seccomp(2), SECCOMP_RET_TRACE), so it sees that -1, which is no x32 call.
     */
    BAD_ARCH_ACTION("badArchAction"),
    /**
     * They go through the rule sets like any other number: the foreign ABI is treated as an arch
     * of its own, whose syscalls the rules list by number ({@code "nr": "0x40000209"}); those they
     * do not list get the default action.
     */
    RULE_SETS("ruleSets");

    private final String spelling;

    ForeignAbiSyscalls(String spelling) {
        this.spelling = spelling;
    }

    /** The rule-file spelling: {@code badArchAction} or {@code ruleSets}. */
    public String spelling() {
        return spelling;
    }

    /**
     * Parses the rule-file spelling (exactly, as keys are).
     *
     * @throws IllegalArgumentException naming the two spellings
     */
    public static ForeignAbiSyscalls parse(String text) {
        for (ForeignAbiSyscalls s : values()) {
            if (s.spelling.equals(text)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown choice " + Json.quoted(text) + " (expected \"" + BAD_ARCH_ACTION.spelling
                + "\" or \"" + RULE_SETS.spelling + "\")");
    }
}
