package dev.tether.guest.kernel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the host kernel told the JVM that a guest may be told the same: the JVM's own AT_HWCAP and
 * AT_HWCAP2 (from {@code /proc/self/auxv}: the CPU features the kernel offers programs on this host),
 * and its credentials (from the {@code Uid:}/{@code Gid:} lines of {@code /proc/self/status}, proc(5)).
 */
public final class HostFacts {
    private HostFacts() {
    }

    /** {AT_HWCAP, AT_HWCAP2} of this JVM, zeros where /proc/self/auxv cannot be read. */
    public static long[] hwcaps() {
        return hwcaps(Path.of("/proc/self/auxv"));
    }

    static long[] hwcaps(Path auxv) {
        long[] out = new long[2];
        byte[] raw;
        try {
            raw = Files.readAllBytes(auxv);
        } catch (IOException e) {
            return out;
        }
        // pairs of unsigned longs (64-bit arches), ending with AT_NULL
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.nativeOrder());
        while (b.remaining() >= 16) {
            long key = b.getLong();
            long value = b.getLong();
            if (key == Auxv.AT_HWCAP) {
                out[0] = value;
            } else if (key == Auxv.AT_HWCAP2) {
                out[1] = value;
            } else if (key == Auxv.AT_NULL) {
                break;
            }
        }
        return out;
    }

    /** {uid, euid, gid, egid} of this JVM. */
    public static int[] credentials() {
        try {
            return credentials(Files.readAllLines(Path.of("/proc/self/status")));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/self/status for the JVM's credentials: " + e.getMessage(), e);
        }
    }

    static int[] credentials(java.util.List<String> status) {
        int[] out = new int[4];
        boolean uid = false;
        boolean gid = false;
        for (String line : status) {
            // "Uid:\treal\teffective\tsaved\tfs" (proc(5))
            String[] f = line.trim().split("\\s+");
            if (f[0].equals("Uid:") && f.length >= 3) {
                out[0] = Integer.parseInt(f[1]);
                out[1] = Integer.parseInt(f[2]);
                uid = true;
            } else if (f[0].equals("Gid:") && f.length >= 3) {
                out[2] = Integer.parseInt(f[1]);
                out[3] = Integer.parseInt(f[2]);
                gid = true;
            }
        }
        if (!uid || !gid) {
            throw new IllegalStateException("no Uid:/Gid: lines in /proc/self/status");
        }
        return out;
    }
}
