package dev.tether.seccomp;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON reader (RFC 8259) that remembers where every value and key starts, so that
 * rule-file errors can name a JSON path and a line and column. Numbers are kept as text, so that
 * integers up to 2^64-1 stay exact. Arrays and objects nest at most {@value #MAX_DEPTH} deep (the
 * reader is recursive: without a limit a few kilobytes of brackets overflow the stack).
 */
final class Json {
    /** How deep arrays and objects may nest; the deepest rule file needs 9 levels. */
    static final int MAX_DEPTH = 64;
    /** How much of a value an error message quotes. */
    static final int SHOWN_CHARS = 80;

    private Json() {
    }

    /**
     * {@code text} for an error message: as it is when it has at most {@value #SHOWN_CHARS}
     * characters, else its start, "..." and its length, so that a one-megabyte value does not
     * make a one-megabyte message.
     */
    static String shown(String text) {
        if (text.length() <= SHOWN_CHARS) {
            return text;
        }
        return text.substring(0, cut(text)) + "... (" + text.length() + " characters)";
    }

    /** Whether {@code text} is made of ASCII digits of {@code radix} (10, or 16 in either case). */
    static boolean allDigits(String text, int radix) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean ok = (c >= '0' && c <= '9') || (radix == 16 && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /**
     * {@code text} quoted for an error message, at most {@value #SHOWN_CHARS} characters of it
     * (then "..." and its length), with quotes, backslashes, control characters and non-ASCII
     * characters escaped as in JSON, so that the message is one printable line.
     */
    static String quoted(String text) {
        boolean cutShort = text.length() > SHOWN_CHARS;
        String part = cutShort ? text.substring(0, cut(text)) : text;
        StringBuilder sb = new StringBuilder(part.length() + 32).append('"');
        for (int i = 0; i < part.length(); i++) {
            char c = part.charAt(i);
            switch (c) {
                case '"': sb.append("\\\""); break;
                case '\\': sb.append("\\\\"); break;
                case '\n': sb.append("\\n"); break;
                case '\r': sb.append("\\r"); break;
                case '\t': sb.append("\\t"); break;
                default:
                    if (c < 0x20 || c >= 0x7f) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
            }
        }
        if (cutShort) {
            sb.append("...\" (").append(text.length()).append(" characters)");
        } else {
            sb.append('"');
        }
        return sb.toString();
    }

    /** Where to cut a long text: after {@value #SHOWN_CHARS} characters, not inside a surrogate pair. */
    private static int cut(String text) {
        return Character.isHighSurrogate(text.charAt(SHOWN_CHARS - 1)) ? SHOWN_CHARS - 1 : SHOWN_CHARS;
    }

    /** A parsed value with its JSON path and position. */
    abstract static sealed class Value permits Obj, Arr, Str, Num, Bool, Null {
        final String path;
        final int line;
        final int column;

        Value(String path, int line, int column) {
            this.path = path;
            this.line = line;
            this.column = column;
        }

        RuleFileException error(String problem) {
            return new RuleFileException(path, line, column, problem);
        }

        abstract String typeName();
    }

    /** An object member: key, key position, value. */
    static final class Member {
        final String key;
        final int line;
        final int column;
        final Value value;

        Member(String key, int line, int column, Value value) {
            this.key = key;
            this.line = line;
            this.column = column;
            this.value = value;
        }
    }

    static final class Obj extends Value {
        final Map<String, Member> members = new LinkedHashMap<>();

        Obj(String path, int line, int column) {
            super(path, line, column);
        }

        @Override
        String typeName() {
            return "an object";
        }
    }

    static final class Arr extends Value {
        final List<Value> items = new ArrayList<>();

        Arr(String path, int line, int column) {
            super(path, line, column);
        }

        @Override
        String typeName() {
            return "an array";
        }
    }

    static final class Str extends Value {
        final String value;

        Str(String path, int line, int column, String value) {
            super(path, line, column);
            this.value = value;
        }

        @Override
        String typeName() {
            return "a string";
        }
    }

    static final class Num extends Value {
        final String text;

        Num(String path, int line, int column, String text) {
            super(path, line, column);
            this.text = text;
        }

        boolean isInteger() {
            return text.indexOf('.') < 0 && text.indexOf('e') < 0 && text.indexOf('E') < 0;
        }

        @Override
        String typeName() {
            return "a number";
        }
    }

    static final class Bool extends Value {
        final boolean value;

        Bool(String path, int line, int column, boolean value) {
            super(path, line, column);
            this.value = value;
        }

        @Override
        String typeName() {
            return "a boolean";
        }
    }

    static final class Null extends Value {
        Null(String path, int line, int column) {
            super(path, line, column);
        }

        @Override
        String typeName() {
            return "null";
        }
    }

    /** Parses a whole document. */
    static Value parse(String text) {
        Parser p = new Parser(text);
        p.skipWhitespace();
        Value v = p.value("");
        p.skipWhitespace();
        if (p.pos < text.length()) {
            throw p.error("", p.pos, "unexpected " + p.describe(p.pos) + " after the end of the document");
        }
        return v;
    }

    /** Path of member {@code key} of the object at {@code path} (a long key is cut short). */
    static String child(String path, String key) {
        String k = key.length() <= SHOWN_CHARS ? key : key.substring(0, cut(key)) + "...";
        return path.isEmpty() ? k : path + "." + k;
    }

    /** Path of item {@code i} of the array at {@code path}. */
    static String item(String path, int i) {
        return (path.isEmpty() ? "$" : path) + "[" + i + "]";
    }

    private static final class Parser {
        final String s;
        int pos;
        /** Arrays and objects open around the current position. */
        int depth;
        final int[] lineStarts;

        Parser(String s) {
            this.s = s;
            List<Integer> starts = new ArrayList<>();
            starts.add(0);
            for (int i = 0; i < s.length(); i++) {
                if (s.charAt(i) == '\n') {
                    starts.add(i + 1);
                }
            }
            lineStarts = starts.stream().mapToInt(Integer::intValue).toArray();
        }

        int line(int at) {
            int i = Arrays.binarySearch(lineStarts, at);
            return i >= 0 ? i + 1 : -i - 1;
        }

        int column(int at) {
            return at - lineStarts[line(at) - 1] + 1;
        }

        RuleFileException error(String path, int at, String problem) {
            return new RuleFileException(path, line(at), column(at), problem);
        }

        String describe(int at) {
            if (at >= s.length()) {
                return "end of input";
            }
            char c = s.charAt(at);
            if (c < 0x20 || (c >= 0x7f && c < 0xa0)) {
                return String.format("control character U+%04X", (int) c);
            }
            if (c >= 0x7f) {
                return String.format("'\\u%04x'", (int) c);
            }
            return "'" + c + "'";
        }

        void skipWhitespace() {
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                    pos++;
                } else {
                    break;
                }
            }
        }

        Value value(String path) {
            if (pos >= s.length()) {
                throw error(path, pos, "expected a value but found end of input");
            }
            int at = pos;
            char c = s.charAt(pos);
            switch (c) {
                case '{': return object(path);
                case '[': return array(path);
                case '"': return new Str(path, line(at), column(at), string(path));
                case 't': literal(path, "true"); return new Bool(path, line(at), column(at), true);
                case 'f': literal(path, "false"); return new Bool(path, line(at), column(at), false);
                case 'n': literal(path, "null"); return new Null(path, line(at), column(at));
                default:
                    if (c == '-' || (c >= '0' && c <= '9')) {
                        return new Num(path, line(at), column(at), number(path));
                    }
                    throw error(path, at, "expected a value but found " + describe(at));
            }
        }

        void literal(String path, String word) {
            if (!s.startsWith(word, pos)) {
                throw error(path, pos, "expected a value but found " + describe(pos));
            }
            pos += word.length();
        }

        /** Enters an array or object at {@code pos}; refuses to nest deeper than {@value Json#MAX_DEPTH}. */
        void enter(String path) {
            if (++depth > MAX_DEPTH) {
                throw error(path, pos, "nesting deeper than " + MAX_DEPTH + " levels of arrays and objects");
            }
        }

        Obj object(String path) {
            enter(path);
            Obj o = new Obj(path, line(pos), column(pos));
            pos++; // {
            skipWhitespace();
            if (pos < s.length() && s.charAt(pos) == '}') {
                pos++;
                depth--;
                return o;
            }
            while (true) {
                skipWhitespace();
                if (pos >= s.length() || s.charAt(pos) != '"') {
                    throw error(path, pos, "expected a key (a string) but found " + describe(pos));
                }
                int keyAt = pos;
                String key = string(path);
                String childPath = child(path, key);
                if (o.members.containsKey(key)) {
                    throw error(childPath, keyAt, "duplicate key " + quoted(key));
                }
                skipWhitespace();
                if (pos >= s.length() || s.charAt(pos) != ':') {
                    throw error(childPath, pos, "expected ':' after the key but found " + describe(pos));
                }
                pos++;
                skipWhitespace();
                Value v = value(childPath);
                o.members.put(key, new Member(key, line(keyAt), column(keyAt), v));
                skipWhitespace();
                if (pos < s.length() && s.charAt(pos) == ',') {
                    pos++;
                    continue;
                }
                if (pos < s.length() && s.charAt(pos) == '}') {
                    pos++;
                    depth--;
                    return o;
                }
                throw error(path, pos, "expected ',' or '}' but found " + describe(pos));
            }
        }

        Arr array(String path) {
            enter(path);
            Arr a = new Arr(path, line(pos), column(pos));
            pos++; // [
            skipWhitespace();
            if (pos < s.length() && s.charAt(pos) == ']') {
                pos++;
                depth--;
                return a;
            }
            while (true) {
                skipWhitespace();
                a.items.add(value(item(path, a.items.size())));
                skipWhitespace();
                if (pos < s.length() && s.charAt(pos) == ',') {
                    pos++;
                    continue;
                }
                if (pos < s.length() && s.charAt(pos) == ']') {
                    pos++;
                    depth--;
                    return a;
                }
                throw error(path, pos, "expected ',' or ']' but found " + describe(pos));
            }
        }

        String string(String path) {
            int start = pos;
            pos++; // "
            StringBuilder sb = new StringBuilder();
            while (true) {
                if (pos >= s.length()) {
                    throw error(path, start, "unterminated string");
                }
                char c = s.charAt(pos);
                if (c == '"') {
                    pos++;
                    return sb.toString();
                }
                if (c < 0x20) {
                    throw error(path, pos, "unescaped " + describe(pos) + " in a string");
                }
                if (c != '\\') {
                    sb.append(c);
                    pos++;
                    continue;
                }
                if (pos + 1 >= s.length()) {
                    throw error(path, start, "unterminated string");
                }
                char e = s.charAt(pos + 1);
                switch (e) {
                    case '"': sb.append('"'); break;
                    case '\\': sb.append('\\'); break;
                    case '/': sb.append('/'); break;
                    case 'b': sb.append('\b'); break;
                    case 'f': sb.append('\f'); break;
                    case 'n': sb.append('\n'); break;
                    case 'r': sb.append('\r'); break;
                    case 't': sb.append('\t'); break;
                    case 'u': {
                        if (pos + 6 > s.length()) {
                            throw error(path, pos, "incomplete \\u escape");
                        }
                        String hex = s.substring(pos + 2, pos + 6);
                        if (!allDigits(hex, 16)) { // parseInt alone takes "+041" and fullwidth digits
                            throw error(path, pos, "bad \\u escape \"\\u" + hex + "\"");
                        }
                        sb.append((char) Integer.parseInt(hex, 16));
                        pos += 4;
                        break;
                    }
                    default:
                        throw error(path, pos, "bad escape '\\" + e + "' in a string");
                }
                pos += 2;
            }
        }

        String number(String path) {
            int start = pos;
            if (s.charAt(pos) == '-') {
                pos++;
            }
            if (pos >= s.length() || !isAsciiDigit(s.charAt(pos))) {
                throw error(path, start, "bad number: expected a digit after '-'");
            }
            if (s.charAt(pos) == '0' && pos + 1 < s.length() && isAsciiDigit(s.charAt(pos + 1))) {
                throw error(path, start, "bad number: leading zeros are not allowed in JSON");
            }
            while (pos < s.length() && isAsciiDigit(s.charAt(pos))) {
                pos++;
            }
            if (pos < s.length() && s.charAt(pos) == '.') {
                pos++;
                if (pos >= s.length() || !isAsciiDigit(s.charAt(pos))) {
                    throw error(path, start, "bad number: expected a digit after '.'");
                }
                while (pos < s.length() && isAsciiDigit(s.charAt(pos))) {
                    pos++;
                }
            }
            if (pos < s.length() && (s.charAt(pos) == 'e' || s.charAt(pos) == 'E')) {
                pos++;
                if (pos < s.length() && (s.charAt(pos) == '+' || s.charAt(pos) == '-')) {
                    pos++;
                }
                if (pos >= s.length() || !isAsciiDigit(s.charAt(pos))) {
                    throw error(path, start, "bad number: expected a digit in the exponent");
                }
                while (pos < s.length() && isAsciiDigit(s.charAt(pos))) {
                    pos++;
                }
            }
            return s.substring(start, pos);
        }

        static boolean isAsciiDigit(char c) {
            return c >= '0' && c <= '9';
        }
    }
}
