package dev.tether.seccomp;

import static org.junit.jupiter.api.Assertions.*;

import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RuleFileTest {
    private static final SyscallTable AMD64 = Fixtures.AMD64;

    @Test
    void parsesTheDocumentedFormat() {
        String json = """
                {
                  "defaultAction": "errno:1",
                  "badArchAction": "kill_thread",
                  "ruleSets": [
                    { "action": "allow",
                      "syscalls": [ {"name": "mmap"}, {"nr": 999},
                        {"name": "clone", "anyOf": [ {"args": [{"eq": "0x409"}]},
                                                     {"args": [null, {"any": true}, {"ne": 7}, {"gt": 18446744073709551615},
                                                               {"ge": "12"}, {"maskedEq": 1, "mask": "0xff"}],
                                                      "ip": {"le": "0xFFFFFFFFFFFFFFFF"}},
                                                     {} ]} ] },
                    { "action": "trap", "vsyscall": true, "syscalls": [ {"name": "time", "anyOf": [{"args": [{"lt": 0}]}]} ] },
                    { "action": "0x7ffc0000", "vsyscall": false, "syscalls": [] }
                  ]
                }
                """;
        Policy p = RuleFile.parse(json, AMD64);
        Policy want = new Policy(Action.errno(1), Action.KILL_THREAD, List.of(
                RuleSet.of(Action.ALLOW,
                        SyscallRule.any(9),
                        SyscallRule.any(999),
                        SyscallRule.anyOf(56,
                                Rule.of(Matcher.eq(0x409)),
                                new Rule(List.of(Matcher.any(), Matcher.any(), Matcher.ne(7), Matcher.gt(-1L), Matcher.ge(12),
                                        Matcher.maskedEq(0xff, 1)), Matcher.le(-1L)),
                                Rule.of())),
                new RuleSet(Action.TRAP, true, List.of(SyscallRule.anyOf(201, Rule.of(Matcher.lt(0))))),
                new RuleSet(Action.LOG, false, List.of())));
        assertEquals(want, p);
        assertEquals(Action.KILL_PROCESS, RuleFile.parse("{\"defaultAction\": \"allow\", \"ruleSets\": []}", AMD64).badArchAction(),
                "badArchAction defaults to kill_process");
    }

    /**
     * Bad inputs: the JSON, the expected path, the text the location must point at (its first
     * occurrence, or the end of input when null), and the expected problem.
     */
    static Stream<Arguments> badInputs() {
        String pre = "{\"defaultAction\": \"allow\", \"ruleSets\": [{\"action\": \"allow\", \"syscalls\": [";
        String post = "]}]}";
        return Stream.of(
                // malformed JSON
                Arguments.of("{\"defaultAction\": \"allow\",}", "$", "}", "expected a key (a string) but found '}'"),
                Arguments.of("{\"defaultAction\": \"allow\"", "$", null, "expected ',' or '}' but found end of input"),
                Arguments.of("{\"defaultAction\": \"allow\" \"ruleSets\": []}", "$", "\"ruleSets\"", "expected ',' or '}' but found '\"'"),
                Arguments.of("{\"defaultAction\": allow}", "defaultAction", "allow}", "expected a value but found 'a'"),
                Arguments.of("{\"defaultAction\": \"allow}", "defaultAction", "\"allow}", "unterminated string"),
                Arguments.of("{\"defaultAction\": \"al\\qlow\"}", "defaultAction", "\\q", "bad escape '\\q' in a string"),
                Arguments.of("{\"defaultAction\": \"allow\", \"ruleSets\": [1,]}", "ruleSets[1]", "]}", "expected a value but found ']'"),
                Arguments.of("{\"defaultAction\": \"allow\", \"ruleSets\": [01]}", "ruleSets[0]", "01", "bad number: leading zeros are not allowed in JSON"),
                Arguments.of("{\"defaultAction\": \"allow\", \"ruleSets\": []} x", "$", "x", "unexpected 'x' after the end of the document"),
                Arguments.of("", "$", null, "expected a value but found end of input"),
                Arguments.of("{\"defaultAction\": \"allow\", \"defaultAction\": \"trap\"}", "defaultAction", "\"defaultAction\": \"trap",
                        "duplicate key \"defaultAction\""),
                // structure
                Arguments.of("[]", "$", "[", "expected an object but found an array"),
                Arguments.of("{\"ruleSets\": []}", "$", "{", "missing \"defaultAction\""),
                Arguments.of("{\"defaultAction\": \"allow\"}", "$", "{", "missing \"ruleSets\""),
                Arguments.of("{\"defaultAction\": \"allow\", \"rulesets\": []}", "rulesets", "\"rulesets\"",
                        "unknown key \"rulesets\" (expected badArchAction, defaultAction, ruleSets, x32)"),
                Arguments.of("{\"defaultAction\": \"allow\", \"ruleSets\": {}}", "ruleSets", "{}", "expected an array but found an object"),
                Arguments.of("{\"defaultAction\": \"allow\", \"ruleSets\": [{\"action\": \"allow\", \"vsycall\": true, \"syscalls\": []}]}",
                        "ruleSets[0].vsycall", "\"vsycall\"", "unknown key \"vsycall\" (expected action, syscalls, vsyscall)"),
                Arguments.of("{\"defaultAction\": \"allow\", \"ruleSets\": [{\"action\": \"allow\", \"vsyscall\": 1, \"syscalls\": []}]}",
                        "ruleSets[0].vsyscall", "1, ", "expected true or false but found a number"),
                Arguments.of("{\"defaultAction\": \"allow\", \"ruleSets\": [{\"syscalls\": []}]}", "ruleSets[0]", "{\"syscalls",
                        "missing \"action\""),
                // actions
                Arguments.of("{\"defaultAction\": \"allwo\", \"ruleSets\": []}", "defaultAction", "\"allwo\"",
                        "unknown action \"allwo\" (expected allow, kill_thread, kill_process, trap, log, errno:N, trace:N or 0x...)"),
                Arguments.of("{\"defaultAction\": \"errno:70000\", \"ruleSets\": []}", "defaultAction", "\"errno", "errno data 70000 is out of range 0..65535"),
                Arguments.of("{\"defaultAction\": 2147418112, \"ruleSets\": []}", "defaultAction", "2147418112", "expected an action (a string) but found a number"),
                Arguments.of("{\"defaultAction\": \"0x100000000\", \"ruleSets\": []}", "defaultAction", "\"0x1", "raw action 0x100000000 does not fit in 32 bits"),
                // syscalls
                Arguments.of(pre + "{\"name\": \"fooo\"}" + post, "ruleSets[0].syscalls[0].name", "\"fooo\"", "unknown syscall \"fooo\" on amd64"),
                Arguments.of(pre + "{\"nr\": -1}" + post, "ruleSets[0].syscalls[0].nr", "-1", "syscall number -1 is out of range 0..2147483647"),
                Arguments.of(pre + "{\"nr\": 2147483648}" + post, "ruleSets[0].syscalls[0].nr", "2147483648", "syscall number 2147483648 is out of range 0..2147483647"),
                Arguments.of(pre + "{\"nr\": 1.5}" + post, "ruleSets[0].syscalls[0].nr", "1.5", "expected a syscall number (an integer or a \"0x...\" string) but found 1.5"),
                Arguments.of(pre + "{\"nr\": \"0x80000000\"}" + post, "ruleSets[0].syscalls[0].nr", "\"0x8", "syscall number \"0x80000000\" is out of range 0..2147483647"),
                Arguments.of(pre + "{\"nr\": \"-1\"}" + post, "ruleSets[0].syscalls[0].nr", "\"-1", "bad number \"-1\" (expected decimal digits or 0x followed by hex digits)"),
                Arguments.of(pre + "{\"nr\": null}" + post, "ruleSets[0].syscalls[0].nr", "null", "expected a syscall number (an integer or a \"0x...\" string) but found null"),
                // x32 (amd64's foreign ABI): its numbers get the bad-arch action unless the file says "x32": "ruleSets"
                Arguments.of(pre + "{\"nr\": 1073742345}" + post, "ruleSets[0].syscalls[0].nr", "1073742345",
                        "syscall number 1073742345 (0x40000209) is an x32 syscall, and x32 syscalls get the bad-arch action before any"
                        + " rule is asked; to have the rule sets decide them, set \"x32\": \"ruleSets\""),
                Arguments.of(pre.replace("\"ruleSets\"", "\"x32\": \"badArchAction\", \"ruleSets\"") + "{\"nr\": \"0x7fffffff\"}" + post,
                        "ruleSets[0].syscalls[0].nr", "\"0x7", "syscall number 2147483647 (0x7fffffff) is an x32 syscall, and x32 syscalls"
                        + " get the bad-arch action before any rule is asked; to have the rule sets decide them, set \"x32\": \"ruleSets\""),
                Arguments.of("{\"defaultAction\": \"allow\", \"x32\": \"allow\", \"ruleSets\": []}", "x32", "\"allow\", \"r",
                        "unknown choice \"allow\" (expected \"badArchAction\" or \"ruleSets\")"),
                Arguments.of("{\"defaultAction\": \"allow\", \"x32\": \"ruleSets \", \"ruleSets\": []}", "x32", "\"ruleSets \"",
                        "unknown choice \"ruleSets \" (expected \"badArchAction\" or \"ruleSets\")"),
                Arguments.of("{\"defaultAction\": \"allow\", \"x32\": false, \"ruleSets\": []}", "x32", "false",
                        "expected \"badArchAction\" or \"ruleSets\" but found a boolean"),
                Arguments.of("{\"defaultAction\": \"allow\", \"X32\": \"ruleSets\", \"ruleSets\": []}", "X32", "\"X32\"",
                        "unknown key \"X32\" (expected badArchAction, defaultAction, ruleSets, x32)"),
                Arguments.of(pre + "{\"nr\": 9, \"name\": \"mmap\"}" + post, "ruleSets[0].syscalls[0]", "{\"nr\"", "give either \"name\" or \"nr\", not both"),
                Arguments.of(pre + "{\"anyOf\": [{}]}" + post, "ruleSets[0].syscalls[0]", "{\"anyOf", "missing \"name\" (or \"nr\")"),
                Arguments.of(pre + "{\"name\": \"mmap\"}, {\"name\": \"getpid\"}, {\"nr\": 9}" + post, "ruleSets[0].syscalls[2]", "{\"nr\": 9}",
                        "syscall \"mmap\" (9) is already listed in this rule set (at ruleSets[0].syscalls[0])"),
                Arguments.of(pre + "{\"name\": \"mmap\", \"anyOf\": []}" + post, "ruleSets[0].syscalls[0].anyOf", "[]",
                        "empty anyOf: a syscall needs at least one rule (leave anyOf out for any arguments)"),
                Arguments.of(pre + "{\"name\": \"mmap\", \"anyof\": []}" + post, "ruleSets[0].syscalls[0].anyof", "\"anyof\"",
                        "unknown key \"anyof\" (expected anyOf, name, nr)"),
                Arguments.of(pre + "{\"name\": \"mmap\", \"anyOf\": [{\"args\": [null, null, null, null, null, null, null]}]}" + post,
                        "ruleSets[0].syscalls[0].anyOf[0].args", "[null", "7 arguments, but a syscall has at most 6"),
                Arguments.of(pre + "{\"name\": \"mmap\", \"anyOf\": [{\"arg\": []}]}" + post, "ruleSets[0].syscalls[0].anyOf[0].arg",
                        "\"arg\"", "unknown key \"arg\" (expected args, ip)"),
                // matchers and values
                Arguments.of(pre + "{\"name\": \"mmap\", \"anyOf\": [{\"args\": [{\"eq\": 18446744073709551616}]}]}" + post,
                        "ruleSets[0].syscalls[0].anyOf[0].args[0].eq", "18446744073709551616",
                        "value 18446744073709551616 is out of range 0..18446744073709551615 (2^64-1)"),
                Arguments.of(pre + "{\"name\": \"mmap\", \"anyOf\": [{\"args\": [{\"eq\": -1}]}]}" + post,
                        "ruleSets[0].syscalls[0].anyOf[0].args[0].eq", "-1", "value -1 is out of range 0..18446744073709551615 (2^64-1)"),
                Arguments.of(pre + "{\"name\": \"mmap\", \"anyOf\": [{\"ip\": {\"ge\": \"0x10000000000000000\"}}]}" + post,
                        "ruleSets[0].syscalls[0].anyOf[0].ip.ge", "\"0x1", "value \"0x10000000000000000\" is out of range 0..18446744073709551615 (2^64-1)"),
                Arguments.of(pre + "{\"name\": \"mmap\", \"anyOf\": [{\"args\": [{\"lt\": \"12x\"}]}]}" + post,
                        "ruleSets[0].syscalls[0].anyOf[0].args[0].lt", "\"12x\"", "bad number \"12x\" (expected decimal digits or 0x followed by hex digits)"),
                Arguments.of(pre + "{\"name\": \"mmap\", \"anyOf\": [{\"args\": [{\"le\": 1e3}]}]}" + post,
                        "ruleSets[0].syscalls[0].anyOf[0].args[0].le", "1e3", "value 1e3 is not an integer"),
                Arguments.of(pre + "{\"name\": \"mmap\", \"anyOf\": [{\"args\": [{\"eq\": true}]}]}" + post,
                        "ruleSets[0].syscalls[0].anyOf[0].args[0].eq", "true", "expected a value (an integer or a \"0x...\" string) but found a boolean"),
                Arguments.of(pre + "{\"name\": \"mmap\", \"anyOf\": [{\"args\": [{\"eq\": 1, \"ne\": 2}]}]}" + post,
                        "ruleSets[0].syscalls[0].anyOf[0].args[0]", "{\"eq\": 1", "a matcher has one comparison, found eq, ne"),
                Arguments.of(pre + "{\"name\": \"mmap\", \"anyOf\": [{\"args\": [{\"mask\": 1}]}]}" + post,
                        "ruleSets[0].syscalls[0].anyOf[0].args[0]", "{\"mask\"", "\"mask\" needs \"maskedEq\""),
                Arguments.of(pre + "{\"name\": \"mmap\", \"anyOf\": [{\"args\": [{\"maskedEq\": 1}]}]}" + post,
                        "ruleSets[0].syscalls[0].anyOf[0].args[0]", "{\"maskedEq\"", "\"maskedEq\" needs \"mask\""),
                Arguments.of(pre + "{\"name\": \"mmap\", \"anyOf\": [{\"args\": [{\"any\": false}]}]}" + post,
                        "ruleSets[0].syscalls[0].anyOf[0].args[0].any", "false", "\"any\" must be true"),
                Arguments.of(pre + "{\"name\": \"mmap\", \"anyOf\": [{\"args\": [{}]}]}" + post,
                        "ruleSets[0].syscalls[0].anyOf[0].args[0]", "{}]}]", "empty matcher: use null or {\"any\": true} for any value"),
                Arguments.of(pre + "{\"name\": \"mmap\", \"anyOf\": [{\"args\": [{\"equals\": 1}]}]}" + post,
                        "ruleSets[0].syscalls[0].anyOf[0].args[0].equals", "\"equals\"",
                        "unknown key \"equals\" (expected any, eq, ge, gt, le, lt, mask, maskedEq, ne)"));
    }

    @ParameterizedTest(name = "{3}")
    @MethodSource("badInputs")
    void badInputsNamePathLineColumnAndProblem(String json, String path, String at, String problem) {
        RuleFileException e = assertThrows(RuleFileException.class, () -> RuleFile.parse(json, AMD64));
        int index = at == null ? json.length() : json.indexOf(at);
        assertTrue(index >= 0, "locator " + at + " is in the input");
        int line = 1 + (int) json.substring(0, index).chars().filter(c -> c == '\n').count();
        int column = index - (json.lastIndexOf('\n', index - 1) + 1) + 1;
        assertEquals(path + " (line " + line + ", column " + column + "): " + problem, e.getMessage());
        assertEquals(path, e.path());
        assertEquals(line, e.line());
        assertEquals(column, e.column());
        assertEquals(problem, e.problem());
    }

    @Test
    void multiLineErrorPosition() {
        String json = """
                {
                  "defaultAction": "kill_process",
                  "ruleSets": [
                    {
                      "action": "allow",
                      "syscalls": [{"name": "getpid"}, {"name": "mmap"},
                          {"name": "fooo"}]
                    }
                  ]
                }
                """;
        RuleFileException e = assertThrows(RuleFileException.class, () -> RuleFile.parse(json, AMD64));
        assertEquals("ruleSets[0].syscalls[2].name (line 7, column 20): unknown syscall \"fooo\" on amd64", e.getMessage());
    }

    @Test
    void deepNestingIsAnErrorNotAStackOverflow() {
        // 2,000 nested arrays in 4 KB: a recursive parser without a limit overflows the stack.
        int depth = 2000;
        String json = "{\"defaultAction\": \"allow\", \"ruleSets\": " + "[".repeat(depth) + "]".repeat(depth) + "}";
        RuleFileException e = assertThrows(RuleFileException.class, () -> RuleFile.parse(json, AMD64));
        int at = json.indexOf('[') + RuleFile.MAX_DEPTH - 1; // the bracket that opens level MAX_DEPTH + 1
        assertEquals(1, e.line());
        assertEquals(at + 1, e.column(), e::getMessage);
        assertEquals("ruleSets" + "[0]".repeat(RuleFile.MAX_DEPTH - 1), e.path());
        assertEquals("nesting deeper than " + RuleFile.MAX_DEPTH + " levels of arrays and objects", e.problem());
        // objects count as well; the deepest legal rule file needs 9 levels
        String objects = "{\"a\": ".repeat(depth) + "1" + "}".repeat(depth);
        assertThrows(RuleFileException.class, () -> RuleFile.parse(objects, AMD64));
        String limit = "{\"defaultAction\": \"allow\", \"ruleSets\": " + "[".repeat(RuleFile.MAX_DEPTH - 1)
                + "]".repeat(RuleFile.MAX_DEPTH - 1) + "}";
        RuleFileException atLimit = assertThrows(RuleFileException.class, () -> RuleFile.parse(limit, AMD64));
        assertTrue(atLimit.problem().startsWith("expected an object but found an array"), atLimit::getMessage);
    }

    private static String withArg0(String matcher) {
        return "{\"defaultAction\": \"allow\", \"ruleSets\": [{\"action\": \"allow\", \"syscalls\": ["
                + "{\"name\": \"mmap\", \"anyOf\": [{\"args\": [" + matcher + "]}]}]}]}";
    }

    /**
     * A number of millions of digits is out of range whatever its digits: it is refused from its
     * length, without a BigInteger parse (quadratic in the digits: minutes for 3,000,000), and the
     * error does not repeat it.
     */
    @Test
    void hugeNumbersAreRefusedFromTheirLength() {
        String digits = "9".repeat(3_000_000);
        for (String value : List.of(digits, "\"" + digits + "\"", "\"0x" + digits + "\"")) {
            RuleFileException e = assertTimeoutPreemptively(Duration.ofSeconds(60),
                    () -> assertThrows(RuleFileException.class, () -> RuleFile.parse(withArg0("{\"eq\": " + value + "}"), AMD64)));
            assertTrue(e.problem().contains(" is out of range 0..18446744073709551615 (2^64-1)"), e::getMessage);
            assertTrue(e.problem().matches("(?s).*\\.\\.\\.\"? \\(300000[02] characters\\).*"), e::getMessage);
            assertTrue(e.getMessage().length() < 300, () -> e.getMessage().length() + " characters");
        }
        String nr = "{\"defaultAction\": \"allow\", \"ruleSets\": [{\"action\": \"allow\", \"syscalls\": [{\"nr\": " + digits + "}]}]}";
        RuleFileException e = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> assertThrows(RuleFileException.class, () -> RuleFile.parse(nr, AMD64)));
        assertTrue(e.problem().startsWith("syscall number 99999"), e::getMessage);
        assertTrue(e.problem().endsWith("... (3000000 characters) is out of range 0..2147483647"), e::getMessage);
        // leading zeros do not count: 0x followed by a million zeros and a one is 1
        Policy one = RuleFile.parse(withArg0("{\"eq\": \"0x" + "0".repeat(1_000_000) + "1\"}"), AMD64);
        assertEquals(Matcher.eq(1), one.ruleSets().get(0).syscalls().get(0).anyOf().get(0).args().get(0));
    }

    /** Only the documented syntax: ASCII digits, no sign, in values and in actions. */
    @Test
    void onlyAsciiDigitsWithoutASign() {
        String arabicOne = "\u0661";  // ARABIC-INDIC DIGIT ONE: Character.isDigit, BigInteger and parseInt accept it
        String fullwidthA = "\uff21"; // FULLWIDTH LATIN CAPITAL LETTER A: Character.digit(c, 16) == 10
        for (String action : List.of("errno:+1", "errno:" + arabicOne, "trace:+7", "trace:" + arabicOne, "0x+7fff0000",
                "0x7fff000" + fullwidthA, "errno:-1", "errno:", "errno: 1", "0x")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Action.parse(action), action);
            assertTrue(e.getMessage().startsWith("bad number in action \""), e::getMessage);
            RuleFileException r = assertThrows(RuleFileException.class,
                    () -> RuleFile.parse("{\"defaultAction\": \"" + action + "\", \"ruleSets\": []}", AMD64), action);
            assertEquals("defaultAction", r.path());
        }
        assertEquals(Action.errno(1), Action.parse("errno:1"));
        assertEquals(Action.errno(1), Action.parse("errno:0001"));
        assertEquals(Action.raw(0x7fff0000), Action.parse("0x7FFF0000"));
        for (String value : List.of("\"" + arabicOne + "\"", "\"+1\"", "\"-0\"", "\"0x" + fullwidthA + "\"", "\"0x+1\"",
                "\" 1\"", "\"1 \"", "\"\"", "\"0x\"", "\"1_000\"")) {
            RuleFileException e = assertThrows(RuleFileException.class, () -> RuleFile.parse(withArg0("{\"eq\": " + value + "}"), AMD64),
                    value);
            assertTrue(e.problem().startsWith("bad number "), e::getMessage);
            assertTrue(e.problem().endsWith("(expected decimal digits or 0x followed by hex digits)"), e::getMessage);
        }
        // a \\u escape takes four ASCII hex digits: parseInt alone took "+041" (as 'A')
        RuleFileException u = assertThrows(RuleFileException.class,
                () -> RuleFile.parse("{\"defaultAction\": \"\\u+041\", \"ruleSets\": []}", AMD64));
        assertEquals("bad \\u escape \"\\u+041\"", u.problem());
        RuleFileException e = assertThrows(RuleFileException.class, () -> RuleFile.parse(withArg0("{\"eq\": \"" + arabicOne + "\"}"), AMD64));
        assertEquals("bad number \"\\u0661\" (expected decimal digits or 0x followed by hex digits)", e.problem(),
                "non-ASCII characters are shown escaped");
    }

    /** An error quotes at most 80 characters of the value it is about, and says how long it was. */
    @Test
    void errorsDoNotRepeatAHugeValue() {
        String name = "x".repeat(1_000_000);
        String pre = "{\"defaultAction\": \"allow\", \"ruleSets\": [{\"action\": \"allow\", \"syscalls\": [";
        RuleFileException e = assertThrows(RuleFileException.class, () -> RuleFile.parse(pre + "{\"name\": \"" + name + "\"}]}]}", AMD64));
        assertEquals("unknown syscall \"" + "x".repeat(80) + "...\" (1000000 characters) on amd64", e.problem());
        e = assertThrows(RuleFileException.class, () -> RuleFile.parse("{\"defaultAction\": \"" + name + "\", \"ruleSets\": []}", AMD64));
        assertEquals("unknown action \"" + "x".repeat(80) + "...\" (1000000 characters) (expected allow, kill_thread, kill_process, "
                + "trap, log, errno:N, trace:N or 0x...)", e.problem());
        RuleFileException key = assertThrows(RuleFileException.class,
                () -> RuleFile.parse("{\"defaultAction\": \"allow\", \"" + name + "\": 1}", AMD64));
        assertTrue(key.getMessage().length() < 400, () -> key.getMessage().length() + " characters");
        assertTrue(key.problem().startsWith("unknown key \"" + "x".repeat(80) + "...\" (1000000 characters)"), key::getMessage);
        e = assertThrows(RuleFileException.class, () -> RuleFile.parse(withArg0("{\"eq\": \"1" + name + "\"}"), AMD64));
        assertEquals("bad number \"1" + "x".repeat(79) + "...\" (1000001 characters) (expected decimal digits or 0x followed by hex digits)",
                e.problem());
        // a control character in a name is shown escaped, not printed
        e = assertThrows(RuleFileException.class, () -> RuleFile.parse(pre + "{\"name\": \"a\\nb\\u001b[2J\"}]}]}", AMD64));
        assertEquals("unknown syscall \"a\\nb\\u001b[2J\" on amd64", e.problem());
    }

    @Test
    void aTextOverTheSizeLimitIsRefusedBeforeItIsRead() {
        String big = "{\"defaultAction\": \"allow\", \"ruleSets\": []}" + " ".repeat(RuleFile.MAX_INPUT_CHARS);
        RuleFileException e = assertThrows(RuleFileException.class, () -> RuleFile.parse(big, AMD64));
        assertEquals("$ (line 1, column 1): a rule file of " + big.length() + " characters is larger than the limit of 4194304 (4 MiB)",
                e.getMessage());
        String fits = "{\"defaultAction\": \"allow\", \"ruleSets\": []}";
        assertEquals(Action.ALLOW, RuleFile.parse(fits + " ".repeat(RuleFile.MAX_INPUT_CHARS - fits.length()), AMD64).defaultAction());
    }

    @Test
    void programTooLargeIsACompileTimeError() {
        // 300 syscalls, each with three rules comparing all six arguments: far over 4096.
        StringBuilder sb = new StringBuilder("{\"defaultAction\": \"kill_process\", \"ruleSets\": [{\"action\": \"allow\", \"syscalls\": [");
        for (int nr = 0; nr < 300; nr++) {
            sb.append(nr == 0 ? "" : ",").append("{\"nr\": ").append(nr).append(", \"anyOf\": [");
            for (int r = 0; r < 3; r++) {
                sb.append(r == 0 ? "" : ",").append("{\"args\": [");
                for (int a = 0; a < 6; a++) {
                    sb.append(a == 0 ? "" : ",").append("{\"eq\": ").append(nr * 100 + r * 10 + a + 1).append('}');
                }
                sb.append("]}");
            }
            sb.append("]}");
        }
        sb.append("]}]}");
        Policy p = RuleFile.parse(sb.toString(), AMD64);
        SeccompCompileException e = assertThrows(SeccompCompileException.class, () -> SeccompCompiler.compile(p, AMD64));
        assertTrue(e.getMessage().startsWith("seccomp program too large: "), e.getMessage());
        assertTrue(e.getMessage().contains("the kernel accepts at most 4096 (BPF_MAXINSNS)"), e.getMessage());
        assertTrue(e.getMessage().contains("1 rule sets over 300 syscalls; largest: syscall "), e.getMessage());
    }

    @Test
    void writeIsStableAndReadable() {
        Policy p = new Policy(Action.KILL_THREAD, Action.KILL_THREAD, List.of(
                RuleSet.of(Action.ALLOW,
                        SyscallRule.anyOf(56, Rule.of(Matcher.eq(0x409)), Rule.of(null, Matcher.maskedEq(0xff00, 0x100)).withIp(Matcher.ge(1L << 63))),
                        SyscallRule.any(9),
                        SyscallRule.anyOf(4000, Rule.of())),
                new RuleSet(Action.TRAP, true, List.of(SyscallRule.any(96))),
                new RuleSet(Action.errno(1), false, List.of())));
        String want = """
                {
                  "defaultAction": "kill_thread",
                  "badArchAction": "kill_thread",
                  "x32": "badArchAction",
                  "ruleSets": [
                    {
                      "action": "allow",
                      "syscalls": [
                        {"name": "clone", "anyOf": [
                          {"args": [{"eq": "0x409"}]},
                          {"args": [null, {"maskedEq": "0x100", "mask": "0xff00"}], "ip": {"ge": "0x8000000000000000"}}
                        ]},
                        {"name": "mmap"},
                        {"nr": 4000, "anyOf": [
                          {}
                        ]}
                      ]
                    },
                    {
                      "action": "trap",
                      "vsyscall": true,
                      "syscalls": [
                        {"name": "gettimeofday"}
                      ]
                    },
                    {
                      "action": "errno:1",
                      "syscalls": []
                    }
                  ]
                }
                """;
        assertEquals(want, RuleFile.write(p, AMD64));
        assertEquals(p, RuleFile.parse(want, AMD64));
        assertEquals("{\n  \"defaultAction\": \"allow\",\n  \"badArchAction\": \"kill_process\",\n  \"x32\": \"badArchAction\",\n"
                + "  \"ruleSets\": []\n}\n", RuleFile.write(new Policy(Action.ALLOW, null, List.of()), AMD64));
        // arm64 has no x32: no key
        assertEquals("{\n  \"defaultAction\": \"allow\",\n  \"badArchAction\": \"kill_process\",\n  \"ruleSets\": []\n}\n",
                RuleFile.write(new Policy(Action.ALLOW, null, List.of()), Fixtures.ARM64));
    }

    @Test
    void x32CanBeLeftToTheRulesAndIsAmd64Only() {
        String json = """
                {"defaultAction": "allow", "x32": "ruleSets", "ruleSets": [
                  {"action": "errno:1", "syscalls": [{"name": "ptrace"}, {"nr": "0x40000209"}, {"nr": 1073741863}, {"nr": "0x7FFFFFFF"}]}]}
                """;
        Policy p = RuleFile.parse(json, AMD64);
        assertEquals(ForeignAbiSyscalls.RULE_SETS, p.foreignAbiSyscalls());
        assertEquals(List.of(101, 0x40000209, 0x40000027, 0x7fffffff),
                p.ruleSets().get(0).syscalls().stream().map(SyscallRule::nr).toList());
        String text = RuleFile.write(p, AMD64);
        assertTrue(text.contains("\n  \"x32\": \"ruleSets\",\n"), text);
        assertTrue(text.contains("{\"nr\": 1073742345}"), text);
        assertEquals(p, RuleFile.parse(text, AMD64));
        // the default, spelled out
        Policy dflt = RuleFile.parse("{\"defaultAction\": \"allow\", \"x32\": \"badArchAction\", \"ruleSets\": []}", AMD64);
        assertEquals(ForeignAbiSyscalls.BAD_ARCH_ACTION, dflt.foreignAbiSyscalls());
        // arm64 has no x32: the key is unknown there, and x32-looking numbers are plain numbers
        RuleFileException e = assertThrows(RuleFileException.class, () -> RuleFile.parse(json, Fixtures.ARM64));
        assertEquals("x32 (line 1, column 28): unknown key \"x32\" (expected badArchAction, defaultAction, ruleSets)", e.getMessage());
        Policy arm = RuleFile.parse(json.replace("\"x32\": \"ruleSets\", ", "").replace("{\"name\": \"ptrace\"}, ", ""), Fixtures.ARM64);
        assertEquals(0x40000209, arm.ruleSets().get(0).syscalls().get(0).nr());
    }

    @Test
    void aNameOnAnotherArchIsSaidToBeThere() {
        String json = "{\"defaultAction\": \"allow\", \"ruleSets\": [{\"action\": \"errno:1\", \"syscalls\": [{\"name\": \"arch_prctl\"}]}]}";
        RuleFileException e = assertThrows(RuleFileException.class, () -> RuleFile.parse(json, Fixtures.ARM64, List.of(Fixtures.AMD64)));
        assertEquals("ruleSets[0].syscalls[0].name (line 1, column 85): syscall \"arch_prctl\" is not on arm64 (it is on amd64)",
                e.getMessage());
        // without the other tables, or for a name no table knows: unknown
        e = assertThrows(RuleFileException.class, () -> RuleFile.parse(json, Fixtures.ARM64));
        assertTrue(e.getMessage().endsWith("unknown syscall \"arch_prctl\" on arm64"), e::getMessage);
        e = assertThrows(RuleFileException.class, () -> RuleFile.parse(json.replace("arch_prctl", "fooo"), Fixtures.ARM64,
                List.of(Fixtures.AMD64, Fixtures.ARM64)));
        assertTrue(e.getMessage().endsWith("unknown syscall \"fooo\" on arm64"), e::getMessage);
    }

    static boolean listsX32(Policy p) {
        return p.ruleSets().stream().flatMap(s -> s.syscalls().stream()).anyMatch(s -> Fixtures.X32.owns(s.nr()));
    }

    @Test
    void randomPoliciesRoundTrip() {
        long seed = RandomPolicies.seed(0xf11eL);
        Random r = new Random(seed);
        int refused = 0;
        for (int i = 0; i < 200; i++) {
            Policy p = RandomPolicies.policy(r, 5, 12);
            for (SyscallTable t : new SyscallTable[] {Fixtures.AMD64, Fixtures.ARM64}) {
                if (t.foreignAbi().isPresent() && p.foreignAbiSyscalls() == ForeignAbiSyscalls.BAD_ARCH_ACTION && listsX32(p)) {
                    // such a rule file is an error (no rule would be asked about the number): not written either
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RuleFile.write(p, t));
                    assertTrue(e.getMessage().contains("an x32 syscall, but gives x32 syscalls the bad-arch action"), e::getMessage);
                    refused++;
                    continue;
                }
                String text = RuleFile.write(p, t);
                // without a foreign ABI the choice does not matter and is not written
                Policy want = t.foreignAbi().isPresent() ? p : p.withForeignAbiSyscalls(ForeignAbiSyscalls.BAD_ARCH_ACTION);
                assertEquals(want, RuleFile.parse(text, t), () -> "seed=" + seed + "\n" + text);
                assertEquals(text, RuleFile.write(RuleFile.parse(text, t), t));
            }
        }
        assertTrue(refused > 0 && refused < 150, "refused " + refused);
        Policy stub = StubProgramTest.stubPolicy(Action.KILL_THREAD);
        String text = RuleFile.write(stub, AMD64);
        assertTrue(text.contains("{\"name\": \"prctl\", \"anyOf\": [\n          {\"args\": [{\"eq\": 1}, {\"eq\": 9}]}"), text);
        assertEquals(stub, RuleFile.parse(text, AMD64));
    }
}
