package dev.tether.seccomp;

import java.util.List;

/**
 * Whether two sets of argument conditions provably never hold on the same call: the test that lets
 * two profile entries give one syscall different actions ({@link OciResolver}). Conservative: false
 * means "could overlap" (or "cannot tell"), never a wrong true. All values unsigned 64-bit.
 */
final class Disjoint {
    private Disjoint() {
    }

    /** OR-lists (null = any arguments): disjoint when every pair of their rules is. */
    static boolean rules(List<Rule> a, List<Rule> b) {
        if (a == null || b == null) {
            return false;
        }
        for (Rule x : a) {
            for (Rule y : b) {
                if (!rule(x, y)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Two AND-rules: disjoint when some argument (or the IP) has disjoint matchers. */
    static boolean rule(Rule a, Rule b) {
        for (int i = 0; i < Rule.MAX_ARGS; i++) {
            if (matchers(a.args().get(i), b.args().get(i))) {
                return true;
            }
        }
        return matchers(a.ip(), b.ip());
    }

    /** Two matchers on one value. */
    static boolean matchers(Matcher a, Matcher b) {
        if (a instanceof Matcher.Any || b instanceof Matcher.Any) {
            return false;
        }
        if (a instanceof Matcher.Eq e) {
            return !b.test(e.value());
        }
        if (b instanceof Matcher.Eq e) {
            return !a.test(e.value());
        }
        if (a instanceof Matcher.Ne || b instanceof Matcher.Ne) {
            return false; // != v leaves all but one value: overlaps anything but == v
        }
        long[] ra = range(a);
        long[] rb = range(b);
        // an empty range never holds: disjoint from everything
        if (ra[0] == 1 && ra[1] == 0 || rb[0] == 1 && rb[1] == 0) {
            return true;
        }
        if (a instanceof Matcher.MaskedEq x && b instanceof Matcher.MaskedEq y) {
            return ((x.value() ^ y.value()) & x.mask() & y.mask()) != 0 || (x.value() & ~x.mask()) != 0
                    || (y.value() & ~y.mask()) != 0;
        }
        return Long.compareUnsigned(ra[1], rb[0]) < 0 || Long.compareUnsigned(rb[1], ra[0]) < 0;
    }

    /**
     * The smallest and largest value a matcher admits; {1, 0} when none. A MaskedEq admits values
     * from its value (other bits 0) to its value with every unmasked bit set.
     */
    static long[] range(Matcher m) {
        if (m instanceof Matcher.Gt g) {
            return g.value() == -1L ? new long[] {1, 0} : new long[] {g.value() + 1, -1L};
        }
        if (m instanceof Matcher.Ge g) {
            return new long[] {g.value(), -1L};
        }
        if (m instanceof Matcher.Lt l) {
            return l.value() == 0 ? new long[] {1, 0} : new long[] {0, l.value() - 1};
        }
        if (m instanceof Matcher.Le l) {
            return new long[] {0, l.value()};
        }
        if (m instanceof Matcher.MaskedEq me) {
            if ((me.value() & ~me.mask()) != 0) {
                return new long[] {1, 0};
            }
            return new long[] {me.value(), me.value() | ~me.mask()};
        }
        return new long[] {0, -1L};
    }
}
