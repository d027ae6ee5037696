package dev.tether.core;

import dev.tether.abi.Capability;
import dev.tether.linux.NativeMemory;
import dev.tether.spi.StubProgram;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The trampoline's lockdown words (see {@link StubProgram}): the stub page to seal in the child,
 * and what it drops of its capabilities. A stub inherits the JVM's credentials (uid 0 with every
 * capability, as a rule) and needs none of them: everything Tether does to a stub is done by the
 * JVM's tracer threads (ptrace, process_vm_readv/writev, /proc), whose credentials are unchanged,
 * and what a stub runs itself (its bootstrap, injected mmap/munmap/mprotect/clone/wait4) needs no
 * capability, but for a mapping below vm.mmap_min_addr (CAP_SYS_RAWIO), which stubs now cannot
 * make. So the child ends with empty effective, permitted, inheritable and ambient sets and,
 * where the JVM may drop them (CAP_SETPCAP), an empty bounding set.
 */
final class StubLockdown {
    private StubLockdown() {
    }

    /**
     * Fills the lockdown words of a trampoline argument block; runs on the thread that calls the
     * trampoline, whose credentials the child inherits.
     */
    static void fill(NativeMemory args, long stubAddress, long stubLength) {
        args.putLong(8L * StubProgram.ARG_SEAL_ADDRESS, stubAddress);
        args.putLong(8L * StubProgram.ARG_SEAL_LENGTH, stubLength);
        args.putLong(8L * StubProgram.ARG_CAPBSET_COUNT, boundingSetDropCount(
                Host.readOrEmpty(Path.of("/proc/thread-self/status")),
                readSysctl(Path.of("/proc/sys/kernel/cap_last_cap"))));
        // struct __user_cap_header_struct { __u32 version; int pid; }: pid 0 = the calling thread.
        args.putInt(8L * StubProgram.ARG_CAP_HEADER, Capability.LINUX_CAPABILITY_VERSION_3);
        args.putInt(8L * StubProgram.ARG_CAP_HEADER + 4, 0);
        // Two struct __user_cap_data_struct { __u32 effective, permitted, inheritable; }: all zero.
        for (int w = 0; w < 3; w++) {
            args.putLong(8L * (StubProgram.ARG_CAP_DATA + w), 0);
        }
    }

    /**
     * How many capabilities the child drops from its bounding set: {@code cap_last_cap + 1} when
     * the calling thread has CAP_SETPCAP in its effective set and a non-empty bounding set; 0
     * otherwise (the drop would fail with EPERM, or there is nothing to drop, or /proc does not
     * say). Without CAP_SETPCAP the stub still ends with no effective or permitted capability.
     *
     * @param status the text of /proc/thread-self/status
     * @param capLastCap the text of /proc/sys/kernel/cap_last_cap
     */
    static int boundingSetDropCount(String status, String capLastCap) {
        long eff = capField(status, "CapEff");
        long bnd = capField(status, "CapBnd");
        if ((eff & (1L << Capability.CAP_SETPCAP)) == 0 || bnd == 0) {
            return 0;
        }
        try {
            int last = Integer.parseInt(capLastCap.trim());
            return last >= 0 && last < 64 ? last + 1 : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /**
     * A short /proc/sys file in one read: integer sysctls answer a read at a non-zero offset with
     * end of file, so {@code Files.readString}, whose first read is one byte, would see "4" of "40".
     * Empty when unreadable.
     */
    static String readSysctl(Path p) {
        try (InputStream in = Files.newInputStream(p)) {
            byte[] buf = new byte[64];
            int n = in.read(buf);
            return n > 0 ? new String(buf, 0, n, StandardCharsets.US_ASCII) : "";
        } catch (IOException e) {
            return "";
        }
    }

    /** A capability set of a /proc status text (hex), 0 when absent. */
    static long capField(String status, String name) {
        for (String line : status.split("\n")) {
            if (line.startsWith(name + ":")) {
                try {
                    return Long.parseUnsignedLong(line.substring(name.length() + 1).trim(), 16);
                } catch (NumberFormatException e) {
                    return 0;
                }
            }
        }
        return 0;
    }
}
