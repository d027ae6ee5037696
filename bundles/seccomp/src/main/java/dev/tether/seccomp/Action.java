package dev.tether.seccomp;

import java.util.Locale;

/**
 * A seccomp return value ({@code SECCOMP_RET_*} in include/uapi/linux/seccomp.h): the action in
 * the high 16 bits, its data (errno, trace message) in the low 16 bits. Any raw 32-bit value is
 * allowed, because the kernel defines what it does with unknown values (it treats them as
 * KILL_PROCESS) and users may need exactly that.
 */
public record Action(int value) {
    /** SECCOMP_RET_KILL_PROCESS (include/uapi/linux/seccomp.h). */
    public static final int RET_KILL_PROCESS = 0x80000000;
    /** SECCOMP_RET_KILL_THREAD, a.k.a. SECCOMP_RET_KILL. */
    public static final int RET_KILL_THREAD = 0x00000000;
    /** SECCOMP_RET_TRAP. */
    public static final int RET_TRAP = 0x00030000;
    /** SECCOMP_RET_ERRNO. */
    public static final int RET_ERRNO = 0x00050000;
    /** SECCOMP_RET_USER_NOTIF. */
    public static final int RET_USER_NOTIF = 0x7fc00000;
    /** SECCOMP_RET_TRACE. */
    public static final int RET_TRACE = 0x7ff00000;
    /** SECCOMP_RET_LOG. */
    public static final int RET_LOG = 0x7ffc0000;
    /** SECCOMP_RET_ALLOW. */
    public static final int RET_ALLOW = 0x7fff0000;
    /** SECCOMP_RET_ACTION_FULL: the action part of a return value. */
    public static final int ACTION_FULL = 0xffff0000;
    /** SECCOMP_RET_DATA: the data part of a return value. */
    public static final int DATA = 0x0000ffff;

    /** SECCOMP_RET_ALLOW. */
    public static final Action ALLOW = new Action(RET_ALLOW);
    /** SECCOMP_RET_KILL_THREAD. */
    public static final Action KILL_THREAD = new Action(RET_KILL_THREAD);
    /** SECCOMP_RET_KILL_PROCESS. */
    public static final Action KILL_PROCESS = new Action(RET_KILL_PROCESS);
    /** SECCOMP_RET_TRAP (SIGSYS). */
    public static final Action TRAP = new Action(RET_TRAP);
    /** SECCOMP_RET_LOG. */
    public static final Action LOG = new Action(RET_LOG);

    /** {@link #ALLOW}. */
    public static Action allow() { return ALLOW; }
    /** {@link #KILL_THREAD}. */
    public static Action killThread() { return KILL_THREAD; }
    /** {@link #KILL_PROCESS}. */
    public static Action killProcess() { return KILL_PROCESS; }
    /** {@link #TRAP}. */
    public static Action trap() { return TRAP; }
    /** {@link #LOG}. */
    public static Action log() { return LOG; }

    /** SECCOMP_RET_ERRNO with {@code errno} (0..65535) as data: the syscall returns -errno. */
    public static Action errno(int errno) {
        return new Action(RET_ERRNO | checkData("errno", errno));
    }

    /** SECCOMP_RET_TRACE with a message (0..65535) for the tracer's PTRACE_GETEVENTMSG. */
    public static Action trace(int msg) {
        return new Action(RET_TRACE | checkData("trace", msg));
    }

    /** Any raw 32-bit return value. */
    public static Action raw(int value) {
        return new Action(value);
    }

    private static int checkData(String what, int data) {
        if (data < 0 || data > DATA) {
            throw new IllegalArgumentException(what + " data " + data + " is out of range 0..65535");
        }
        return data;
    }

    /** The action part ({@code value & SECCOMP_RET_ACTION_FULL}). */
    public int actionPart() { return value & ACTION_FULL; }

    /** The data part ({@code value & SECCOMP_RET_DATA}). */
    public int data() { return value & DATA; }

    /**
     * Parses the rule-file spelling: {@code allow, kill_thread, kill_process, trap, log,
     * errno:N, trace:N} (N: ASCII decimal digits, 0..65535) or a raw {@code 0x...} value (ASCII
     * hex digits, at most 32 bits). Case and surrounding blanks do not matter; signs and
     * non-ASCII digits are refused.
     *
     * @throws IllegalArgumentException naming what was wrong
     */
    public static Action parse(String text) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        switch (s) {
            case "allow": return ALLOW;
            case "kill_thread": case "kill": return KILL_THREAD;
            case "kill_process": return KILL_PROCESS;
            case "trap": return TRAP;
            case "log": return LOG;
            default: break;
        }
        if (s.startsWith("errno:")) {
            return errno(data(text, "errno", s.substring(6)));
        }
        if (s.startsWith("trace:")) {
            return trace(data(text, "trace", s.substring(6)));
        }
        if (s.startsWith("0x")) {
            String digits = significant(text, s.substring(2), 16);
            if (digits.length() > 8) {
                throw new IllegalArgumentException("raw action " + Json.shown(text) + " does not fit in 32 bits");
            }
            return raw((int) Long.parseLong(digits, 16));
        }
        throw new IllegalArgumentException("unknown action " + Json.quoted(text)
                + " (expected allow, kill_thread, kill_process, trap, log, errno:N, trace:N or 0x...)");
    }

    /** The N of errno:N or trace:N: decimal digits, 0..65535. */
    private static int data(String text, String what, String digits) {
        String d = significant(text, digits, 10);
        if (d.length() > 9) { // not parsed: out of range whatever the digits
            throw new IllegalArgumentException(what + " data " + Json.shown(digits) + " is out of range 0..65535");
        }
        return checkData(what, Integer.parseInt(d));
    }

    /** {@code digits} without leading zeros, after checking they are ASCII digits of {@code radix}. */
    private static String significant(String text, String digits, int radix) {
        if (digits.isEmpty() || !Json.allDigits(digits, radix)) {
            throw new IllegalArgumentException("bad number in action " + Json.quoted(text)
                    + (radix == 16 ? " (expected 0x followed by hex digits)" : " (expected decimal digits)"));
        }
        int first = 0;
        while (first < digits.length() - 1 && digits.charAt(first) == '0') {
            first++;
        }
        return digits.substring(first);
    }

    /** The rule-file spelling; {@code parse(toString())} gives this action back. */
    @Override
    public String toString() {
        switch (value) {
            case RET_ALLOW: return "allow";
            case RET_KILL_THREAD: return "kill_thread";
            case RET_KILL_PROCESS: return "kill_process";
            case RET_TRAP: return "trap";
            case RET_LOG: return "log";
            default: break;
        }
        if (actionPart() == RET_ERRNO) {
            return "errno:" + data();
        }
        if (actionPart() == RET_TRACE) {
            return "trace:" + data();
        }
        return String.format("0x%08x", value);
    }
}
