package dev.tether.bench.engine;

import dev.tether.guest.GuestPlatform;

/**
 * What the {@code guest_syscall} ops need besides the stub platform: a guest platform and guest code whose
 * first instruction starts a run of a few instructions ending in one system call (the arch's
 * {@code LinuxAbi.helloCode}, with getpid's number where it writes). Each round trip sets the IP back to
 * the code's start, switches in, and answers the system call from Java.
 */
public record GuestBench(GuestPlatform platform, byte[] code) {
    public GuestBench {
        code = code.clone();
    }
}
