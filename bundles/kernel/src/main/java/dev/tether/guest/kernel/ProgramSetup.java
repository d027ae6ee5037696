package dev.tether.guest.kernel;

import java.util.List;

/**
 * What a program is started with, besides its file: gVisor's {@code kernel.CreateProcessArgs}, reduced.
 *
 * @param argv the arguments ({@code argv[0]} included)
 * @param envp the environment, {@code K=V} strings
 * @param execfn the program's path as the guest sees it (AT_EXECFN)
 * @param random the 16 bytes AT_RANDOM points at
 * @param hwcap AT_HWCAP
 * @param hwcap2 AT_HWCAP2
 * @param credentials uid, euid, gid, egid (AT_UID..AT_EGID)
 */
public record ProgramSetup(List<String> argv, List<String> envp, String execfn, byte[] random, long hwcap, long hwcap2,
        int[] credentials) {
    public ProgramSetup {
        argv = List.copyOf(argv);
        envp = List.copyOf(envp);
        if (random.length != 16) {
            throw new IllegalArgumentException("AT_RANDOM takes 16 bytes, got " + random.length);
        }
        if (credentials.length != 4) {
            throw new IllegalArgumentException("credentials are uid, euid, gid, egid: got " + credentials.length);
        }
        for (String s : argv) {
            checkString("argv", s);
        }
        for (String s : envp) {
            checkString("envp", s);
        }
        random = random.clone();
        credentials = credentials.clone();
    }

    private static void checkString(String what, String s) {
        if (s.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(what + " entry contains a NUL byte: " + s.replace('\0', '@'));
        }
    }
}
