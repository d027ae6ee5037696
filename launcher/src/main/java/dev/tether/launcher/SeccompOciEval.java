package dev.tether.launcher;

import dev.tether.bpf.Interpreter;
import dev.tether.bpf.Program;
import dev.tether.seccomp.Action;
import dev.tether.seccomp.MultiArchCompiler;
import dev.tether.seccomp.MultiArchPolicy;
import dev.tether.seccomp.OciResolver;
import dev.tether.seccomp.SeccompData;
import dev.tether.seccomp.SyscallTable;
import dev.tether.seccomp.Verdict;
import java.io.PrintStream;

/**
 * {@code seccomp eval --oci}: the verdict of the filter runc would load for an OCI profile (all its
 * ABIs in one program, {@link MultiArchCompiler}) on one system call of one of those ABIs, checked
 * against the resolved profile's own evaluation, and which profile entry decided.
 */
final class SeccompOciEval {
    /** {@code seccomp_data.arch} for --bad-arch with --oci: no AUDIT_ARCH_* value is 0 (include/uapi/linux/audit.h). */
    static final int NO_ARCH = 0;

    private SeccompOciEval() {
    }

    /**
     * @param res the resolved profile
     * @param abi the ABI the call is made in (one of the profile's resolved ABIs)
     * @param data the call, its arch already set
     * @return {@link ExitCode#OK}, or {@link ExitCode#DISAGREE} when the program and the profile disagree
     */
    static int evaluate(OciResolver.Resolution res, SyscallTable abi, SeccompData data, boolean verbose, PrintStream out,
            PrintStream err, String label) {
        Program program = MultiArchCompiler.compile(res.policy());
        Interpreter.Result r = Interpreter.run(program, data.toBytes(SeccompSupport.ORDER), SeccompSupport.ORDER);
        Action compiled = Action.raw(r.value());
        MultiArchPolicy.Decision d = res.policy().decide(data);
        Action reference = d.verdict().action();
        out.println(compiled);
        out.println("decided by " + describe(res, d));
        if (verbose) {
            out.printf("%s (abi %s)%nexecuted %d of %d instructions; the profile agrees: %s%n", data, abi.arch(), r.executed(),
                    program.size(), compiled.equals(reference) ? "yes" : "NO");
        }
        if (!compiled.equals(reference)) {
            err.printf("%s: DISAGREEMENT (a compiler bug): the compiled program returns %s but the profile says %s for %s%n",
                    label, compiled, reference, data);
            return ExitCode.DISAGREE;
        }
        return ExitCode.OK;
    }

    /** The profile entry (e.g. {@code syscalls[12] (x86)}), the default action, or the bad-arch action. */
    static String describe(OciResolver.Resolution res, MultiArchPolicy.Decision d) {
        Verdict v = d.verdict();
        if (d.arch() == null || v.reason() == Verdict.Reason.BAD_ARCH || v.reason() == Verdict.Reason.FOREIGN_ABI) {
            return "the bad-arch action (an arch or ABI the profile does not list; runc: kill_thread)";
        }
        if (v.reason() == Verdict.Reason.DEFAULT) {
            return "the profile's defaultAction (" + d.arch() + ")";
        }
        String entry = res.entry(d);
        return (entry == null ? "a rule" : entry) + " of the profile (" + d.arch() + ")";
    }
}
