package dev.tether.shell.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The typed arguments the shared command logic takes, and the words both shells show. */
class CommandArgumentsTest {

    @Test
    void spawnKindsAndPolicyFormatsParseAnyCaseAndNameWhatIsWrong() {
        assertEquals(Handles.Kind.SUBPROCESS, Handles.Kind.parse("Subprocess"));
        assertEquals(Handles.Kind.STUB, Handles.Kind.parse("STUB"));
        assertEquals("stub", Handles.Kind.STUB.toString());
        IllegalArgumentException kind = assertThrows(IllegalArgumentException.class, () -> Handles.Kind.parse("--help"));
        assertEquals("tether:spawn: unknown kind \"--help\": subprocess or stub", kind.getMessage());
        assertEquals(FilterReport.Format.LISTING, FilterReport.Format.parse("listing"));
        IllegalArgumentException format = assertThrows(IllegalArgumentException.class, () -> FilterReport.Format.parse("yaml"));
        assertEquals("tether:policy: unknown format \"yaml\": json or listing", format.getMessage());
    }

    @Test
    void injectNumbersAreDecimalOrHexUpTo64Bits() {
        assertEquals(-1, StubCommands.number("argument 1", "-1"));
        assertEquals(0x22, StubCommands.number("argument 1", "0x22"));
        assertEquals(-1, StubCommands.number("argument 1", "0xffffffffffffffff"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StubCommands.number("argument 2", "zz"));
        assertEquals("tether:inject: argument 2 \"zz\" is not a number (decimal, or 0x hex)", e.getMessage());
    }

    @Test
    void everyCommandHasSyntaxAndDescriptionAndHelpShowsThem() {
        assertEquals(Usage.SYNTAX.keySet(), Usage.DESCRIPTION.keySet());
        assertEquals(12, Usage.SYNTAX.size(), Usage.SYNTAX.keySet().toString());
        String help = Usage.help("inject", List.of("PID  " + Usage.PID));
        assertEquals("usage: tether:inject PID SYSCALL [ARG...]\n" + Usage.INJECT + "\n  PID  " + Usage.PID, help);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Usage.help("fork", List.of()));
        assertTrue(e.getMessage().startsWith("no tether command fork; the commands are [bench, demo,"), e.getMessage());
    }

    @Test
    void healthPassesOnOkAndWarnAndNamesTheFirstFailingFinding() {
        Health.Finding ok = new Health.Finding("Tether platform", "OK", "ptrace: fine");
        Health.Finding critical = new Health.Finding("Tether platform", "CRITICAL", "platform: not running");
        assertTrue(new Health.Report("OK", List.of(ok)).healthy());
        assertTrue(new Health.Report("WARN", List.of(ok)).healthy());
        Health.Report down = new Health.Report("CRITICAL", List.of(ok, critical));
        assertFalse(down.healthy());
        assertEquals("tether:health: CRITICAL: platform: not running", down.failure());
        assertFalse(new Health.Report(Health.MISSING, List.of()).healthy());
        assertEquals("tether:health: MISSING", new Health.Report(Health.MISSING, List.of()).failure());
    }

    @Test
    void typedRunArgumentsAreCheckedAsParsedOnes(@TempDir Path dir) throws Exception {
        Path program = Files.writeString(dir.resolve("prog"), "x");
        RunArguments typed = RunArguments.of(null, List.of(dir.toString()), true, List.of(), program.toString(), List.of("-v"));
        assertEquals(RunArguments.parse(List.of("--ro", dir.toString(), "--trace", program.toString(), "-v")), typed);
        assertEquals(List.of("PATH=/bin"), typed.env());
        assertEquals("--ro rel: not an absolute path of a directory", assertThrows(IllegalArgumentException.class,
                () -> RunArguments.of(null, List.of("rel"), false, List.of(), program.toString(), List.of())).getMessage());
        assertEquals("--env X: expected K=V", assertThrows(IllegalArgumentException.class,
                () -> RunArguments.of(null, List.of(), false, List.of("X"), program.toString(), List.of())).getMessage());
        assertEquals(dir.resolve("none") + ": no such file", assertThrows(IllegalArgumentException.class,
                () -> RunArguments.of(null, List.of(), false, List.of(), dir.resolve("none").toString(), List.of())).getMessage());
    }

    @Test
    void aMissingGuestPlatformIsExplainedForTheNameAskedFor() {
        assertEquals("no nosuch GuestPlatform service (registered: ptrace, trap): no bundle registers a guest platform of that name",
                TetherConsole.noGuestPlatform("nosuch", List.of("ptrace", "trap")));
        assertTrue(TetherConsole.noGuestPlatform("trap", List.of("ptrace")).contains("the dev.tether.trap bundle registers it"));
        assertTrue(TetherConsole.noGuestPlatform("ptrace", List.of()).startsWith("no ptrace GuestPlatform service (registered: none): core"));
    }
}
