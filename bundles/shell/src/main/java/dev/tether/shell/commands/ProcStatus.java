package dev.tether.shell.commands;

/** The "Name:\tvalue" lines of /proc/[pid]/status (proc(5)), read by the demo and by {@code tether:stubs}. */
final class ProcStatus {
    private ProcStatus() {
    }

    /** The value of line {@code name} of {@code status}, or "" if it has none. */
    static String field(String status, String name) {
        for (String line : status.split("\n")) {
            if (line.startsWith(name + ":")) {
                return line.substring(name.length() + 1).trim();
            }
        }
        return "";
    }
}
