package dev.tether.shell;

import dev.tether.shell.commands.Usage;
import java.util.Arrays;
import java.util.List;
import org.apache.felix.service.command.CommandSession;

/**
 * The words of a Gogo {@code tether:} command line: {@code --help} (or {@code -h}) anywhere asks
 * for the usage; otherwise the count is checked and words become typed values, with an
 * IllegalArgumentException naming the command and the word that was wrong.
 */
final class GogoArgs {
    private final String command;
    private final List<String> words;
    private final boolean help;

    private GogoArgs(String command, List<String> words, boolean help) {
        this.command = command;
        this.words = words;
        this.help = help;
    }

    /** {@code args} of {@code tether:command}, which takes {@code min}..{@code max} words. */
    static GogoArgs of(String command, String[] args, int min, int max) {
        List<String> words = Arrays.asList(args);
        boolean help = words.contains("--help") || words.contains("-h");
        if (!help && (words.size() < min || words.size() > max)) {
            throw new IllegalArgumentException("tether:" + command + ": " + (words.size() < min ? "too few" : "too many")
                    + " arguments (" + words.size() + ")\nusage: " + Usage.SYNTAX.get(command));
        }
        return new GogoArgs(command, words, help);
    }

    /** Whether --help was asked for; if so, prints the usage with {@code argumentLines} to the session. */
    boolean help(CommandSession session, List<String> argumentLines) {
        if (help) {
            session.getConsole().println(Usage.help(command, argumentLines));
        }
        return help;
    }

    int count() {
        return words.size();
    }

    String get(int i) {
        return words.get(i);
    }

    List<String> rest(int from) {
        return List.copyOf(words.subList(from, words.size()));
    }

    /** Word {@code i} as a pid. */
    int pid(int i) {
        return integer(i, "PID");
    }

    /** Word {@code i} as a decimal int. */
    int integer(int i, String what) {
        try {
            return Integer.parseInt(words.get(i).trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("tether:" + command + ": " + what + " \"" + words.get(i)
                    + "\" is not a number\nusage: " + Usage.SYNTAX.get(command));
        }
    }
}
