package dev.tether.seccomp;

/**
 * An invalid rule file. The message names the place as a JSON path and a line and column (both
 * from 1), then what is wrong, e.g.
 * {@code ruleSets[0].syscalls[2].name (line 7, column 20): unknown syscall "fooo" on amd64}.
 */
public class RuleFileException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String path;
    private final int line;
    private final int column;
    private final String problem;

    /**
     * @param path the JSON path ({@code $} for the whole document)
     * @param line line of the offending text, from 1
     * @param column column of the offending text, from 1
     * @param problem what is wrong
     */
    public RuleFileException(String path, int line, int column, String problem) {
        super((path.isEmpty() ? "$" : path) + " (line " + line + ", column " + column + "): " + problem);
        this.path = path.isEmpty() ? "$" : path;
        this.line = line;
        this.column = column;
        this.problem = problem;
    }

    /** The JSON path of the offending element ({@code $} for the document). */
    public String path() {
        return path;
    }

    /** Its line, from 1. */
    public int line() {
        return line;
    }

    /** Its column, from 1. */
    public int column() {
        return column;
    }

    /** What is wrong, without the location. */
    public String problem() {
        return problem;
    }
}
