package dev.tether.abi;

/** Signal numbers: include/uapi/asm-generic/signal.h (x86-64 and arm64 agree on 1..31). */
public final class Signals {
    public static final int SIGHUP = 1;
    public static final int SIGINT = 2;
    public static final int SIGQUIT = 3;
    public static final int SIGILL = 4;
    public static final int SIGTRAP = 5;
    public static final int SIGABRT = 6;
    public static final int SIGBUS = 7;
    public static final int SIGFPE = 8;
    public static final int SIGKILL = 9;
    public static final int SIGUSR1 = 10;
    public static final int SIGSEGV = 11;
    public static final int SIGUSR2 = 12;
    public static final int SIGPIPE = 13;
    public static final int SIGALRM = 14;
    public static final int SIGTERM = 15;
    public static final int SIGSTKFLT = 16;
    public static final int SIGCHLD = 17;
    public static final int SIGCONT = 18;
    public static final int SIGSTOP = 19;
    public static final int SIGTSTP = 20;
    public static final int SIGSYS = 31;
    /** Highest real-time signal (_NSIG - 1 = 64). */
    public static final int SIGRTMAX = 64;

    private static final String[] NAMES = {
        null, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL",
        "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP",
        "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO",
        "SIGPWR", "SIGSYS",
    };

    private Signals() {
    }

    /** The name of signal {@code sig} ({@code SIGSYS}), {@code SIGRTMIN+n} or {@code signal n}. */
    public static String name(int sig) {
        if (sig > 0 && sig < NAMES.length) {
            return NAMES[sig];
        }
        if (sig >= 32 && sig <= SIGRTMAX) {
            return "SIGRTMIN+" + (sig - 32);
        }
        return "signal " + sig;
    }
}
