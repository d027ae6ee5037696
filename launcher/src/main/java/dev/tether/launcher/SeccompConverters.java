package dev.tether.launcher;

import dev.tether.api.FailureMode;
import dev.tether.seccomp.Action;
import java.math.BigInteger;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** The picocli converters of the {@code tether seccomp} commands' option values. */
final class SeccompConverters {
    private SeccompConverters() {
    }

    /** Converts a rule-file action spelling ({@code allow}, {@code errno:1}, ...). */
    static final class ActionConverter implements ITypeConverter<Action> {
        @Override
        public Action convert(String value) {
            try {
                return Action.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** {@code contained} or {@code fail-stop}. */
    static final class ModeConverter implements ITypeConverter<FailureMode> {
        @Override
        public FailureMode convert(String value) {
            switch (value.toLowerCase(Locale.ROOT)) {
                case "contained": return FailureMode.CONTAINED;
                case "fail-stop": return FailureMode.FAIL_STOP;
                default: throw new TypeConversionException("expected contained or fail-stop but was '" + value + "'");
            }
        }
    }

    /**
     * A 64-bit value: decimal, {@code 0x} hex (both up to 2^64-1) or a negative decimal (two's
     * complement, as a C {@code long} argument would be passed). ASCII digits only, no '+':
     * Java's parsers also take other scripts' digits and a sign, which the documented syntax
     * does not have. Too many digits are refused without a parse.
     */
    static final class U64Converter implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            Long v = parse(value, false);
            if (v == null) {
                throw new TypeConversionException(SeccompSupport.quoted(value) + " does not fit in 64 bits");
            }
            return v;
        }

        /**
         * {@code value} as a 64-bit value, null when it does not fit in 64 bits (or, with
         * {@code int32}, in 32 signed bits).
         *
         * @throws TypeConversionException when it is not written as documented
         */
        static Long parse(String value, boolean int32) {
            String s = value.trim();
            boolean negative = s.startsWith("-");
            boolean hex = !negative && (s.startsWith("0x") || s.startsWith("0X"));
            String digits = negative ? s.substring(1) : hex ? s.substring(2) : s;
            int radix = hex ? 16 : 10;
            boolean ok = !digits.isEmpty();
            for (int i = 0; ok && i < digits.length(); i++) {
                char c = digits.charAt(i);
                ok = (c >= '0' && c <= '9') || (hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
            }
            if (!ok) {
                throw new TypeConversionException(SeccompSupport.quoted(value)
                        + " is not a number (decimal digits, 0x and hex digits, or - and decimal digits)");
            }
            String significant = digits.replaceFirst("^0+(?=.)", "");
            if (significant.length() > 20) {
                return null;
            }
            BigInteger b = new BigInteger(significant, radix);
            if (negative) {
                b = b.negate();
            }
            BigInteger min = int32 ? BigInteger.valueOf(Integer.MIN_VALUE) : BigInteger.valueOf(Long.MIN_VALUE);
            BigInteger max = int32 ? BigInteger.valueOf(Integer.MAX_VALUE) : BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
            return b.compareTo(min) < 0 || b.compareTo(max) > 0 ? null : b.longValue();
        }
    }

    /**
     * A syscall number, the 32 bits of {@code seccomp_data.nr}: decimal (-2147483648..2147483647)
     * or {@code 0x} and at most 32 bits of hex ({@code 0xffffffff} is -1), with
     * {@link U64Converter}'s rules for digits.
     */
    static final class NrConverter implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            String s = value.trim();
            boolean hex = s.startsWith("0x") || s.startsWith("0X");
            Long v = U64Converter.parse(value, !hex);
            if (v == null || (hex && Long.compareUnsigned(v, 0xffffffffL) > 0)) {
                throw new TypeConversionException(SeccompSupport.quoted(value) + " does not fit in 32 bits"
                        + (hex ? " (0x0..0xffffffff)" : " (-2147483648..2147483647, or 0x0..0xffffffff)"));
            }
            return (int) (long) v;
        }
    }

    /** A 32-bit signed value written as {@link U64Converter} describes. */
    static final class IntConverter implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            Long v = U64Converter.parse(value, true);
            if (v == null) {
                throw new TypeConversionException(SeccompSupport.quoted(value) + " does not fit in 32 bits (an int)");
            }
            return v.intValue();
        }
    }
}
