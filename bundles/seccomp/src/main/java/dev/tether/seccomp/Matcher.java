package dev.tether.seccomp;

/**
 * A test on one 64-bit syscall argument or on the instruction pointer. All comparisons are
 * <b>unsigned</b> 64-bit, as in gVisor ({@code pkg/seccomp/seccomp_rules.go}) and as the compiled
 * BPF (two unsigned 32-bit halves) computes them.
 */
public sealed interface Matcher
        permits Matcher.Any, Matcher.Eq, Matcher.Ne, Matcher.Gt, Matcher.Ge, Matcher.Lt, Matcher.Le,
        Matcher.MaskedEq {

    /** Whether {@code value} satisfies this matcher. */
    boolean test(long value);

    /** No constraint. */
    static Matcher any() { return Any.INSTANCE; }
    /** Equal to {@code v}. */
    static Matcher eq(long v) { return new Eq(v); }
    /** Not equal to {@code v}. */
    static Matcher ne(long v) { return new Ne(v); }
    /** Greater than {@code v}, unsigned. */
    static Matcher gt(long v) { return new Gt(v); }
    /** Greater than or equal to {@code v}, unsigned. */
    static Matcher ge(long v) { return new Ge(v); }
    /** Less than {@code v}, unsigned. */
    static Matcher lt(long v) { return new Lt(v); }
    /** Less than or equal to {@code v}, unsigned. */
    static Matcher le(long v) { return new Le(v); }
    /** {@code (v & mask) == value}. */
    static Matcher maskedEq(long mask, long value) { return new MaskedEq(mask, value); }

    /** No constraint. */
    record Any() implements Matcher {
        static final Any INSTANCE = new Any();
        @Override public boolean test(long value) { return true; }
        @Override public String toString() { return "any"; }
    }

    /** {@code v == value}. */
    record Eq(long value) implements Matcher {
        @Override public boolean test(long v) { return v == value; }
        @Override public String toString() { return "== 0x" + Long.toHexString(value); }
    }

    /** {@code v != value}. */
    record Ne(long value) implements Matcher {
        @Override public boolean test(long v) { return v != value; }
        @Override public String toString() { return "!= 0x" + Long.toHexString(value); }
    }

    /** {@code v > value}, unsigned. */
    record Gt(long value) implements Matcher {
        @Override public boolean test(long v) { return Long.compareUnsigned(v, value) > 0; }
        @Override public String toString() { return "> 0x" + Long.toHexString(value); }
    }

    /** {@code v >= value}, unsigned. */
    record Ge(long value) implements Matcher {
        @Override public boolean test(long v) { return Long.compareUnsigned(v, value) >= 0; }
        @Override public String toString() { return ">= 0x" + Long.toHexString(value); }
    }

    /** {@code v < value}, unsigned. */
    record Lt(long value) implements Matcher {
        @Override public boolean test(long v) { return Long.compareUnsigned(v, value) < 0; }
        @Override public String toString() { return "< 0x" + Long.toHexString(value); }
    }

    /** {@code v <= value}, unsigned. */
    record Le(long value) implements Matcher {
        @Override public boolean test(long v) { return Long.compareUnsigned(v, value) <= 0; }
        @Override public String toString() { return "<= 0x" + Long.toHexString(value); }
    }

    /** {@code (v & mask) == value}. */
    record MaskedEq(long mask, long value) implements Matcher {
        @Override public boolean test(long v) { return (v & mask) == value; }
        @Override public String toString() {
            return "& 0x" + Long.toHexString(mask) + " == 0x" + Long.toHexString(value);
        }
    }
}
