package dev.tether.seccomp;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * Up to six argument matchers plus an instruction-pointer matcher; the rule holds when all of
 * them hold (gVisor's {@code Rule}/{@code PerArg}, slot 6 = {@code RuleIP}).
 *
 * @param args exactly six matchers, {@link Matcher#any()} where unconstrained
 * @param ip the instruction-pointer matcher, {@link Matcher#any()} where unconstrained
 */
public record Rule(List<Matcher> args, Matcher ip) {
    /** Number of syscall arguments in {@code struct seccomp_data}. */
    public static final int MAX_ARGS = 6;

    public Rule {
        Objects.requireNonNull(args, "args");
        if (args.size() > MAX_ARGS) {
            throw new IllegalArgumentException("a rule has at most " + MAX_ARGS + " argument matchers, got " + args.size());
        }
        List<Matcher> padded = new ArrayList<>(MAX_ARGS);
        for (Matcher m : args) {
            padded.add(m == null ? Matcher.any() : m);
        }
        while (padded.size() < MAX_ARGS) {
            padded.add(Matcher.any());
        }
        args = Collections.unmodifiableList(padded);
        ip = ip == null ? Matcher.any() : ip;
    }

    /** A rule on the first {@code args.length} arguments (null = any), any instruction pointer. */
    public static Rule of(Matcher... args) {
        return new Rule(Arrays.asList(args), Matcher.any());
    }

    /** This rule with an instruction-pointer matcher. */
    public Rule withIp(Matcher ipMatcher) {
        return new Rule(args, ipMatcher);
    }

    /** Whether all matchers hold. */
    public boolean test(long[] argValues, long instructionPointer) {
        for (int i = 0; i < MAX_ARGS; i++) {
            if (!args.get(i).test(argValues[i])) {
                return false;
            }
        }
        return ip.test(instructionPointer);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("{");
        String sep = "";
        for (int i = 0; i < MAX_ARGS; i++) {
            if (!(args.get(i) instanceof Matcher.Any)) {
                sb.append(sep).append("arg").append(i).append(' ').append(args.get(i));
                sep = " && ";
            }
        }
        if (!(ip instanceof Matcher.Any)) {
            sb.append(sep).append("ip ").append(ip);
            sep = " && ";
        }
        if (sep.isEmpty()) {
            sb.append("any");
        }
        return sb.append('}').toString();
    }
}
