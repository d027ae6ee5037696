package dev.tether.guest.kernel;

import dev.tether.guest.kernel.spi.FileStat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;

/**
 * {@link FileStat}s of host files, from the JDK's "unix" attribute view (the fields of the host's
 * {@code struct stat}), and of the synthetic directories that lead to granted ones.
 */
final class HostStat {
    /** st_blocks counts 512-byte units (stat(2)). */
    static final int BLOCK_UNIT = 512;
    /** The block size reported: the page size, as most Linux file systems report. */
    static final int BLKSIZE = 4096;

    private HostStat() {
    }

    static FileStat of(Path host, boolean follow) throws IOException {
        Map<String, Object> a;
        try {
            a = follow ? Files.readAttributes(host, "unix:*") : Files.readAttributes(host, "unix:*", LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            throw new SyscallError(Linux.ENOENT);
        }
        long size = (Long) a.get("size");
        FileTime at = (FileTime) a.get("lastAccessTime");
        FileTime mt = (FileTime) a.get("lastModifiedTime");
        FileTime ct = (FileTime) a.get("ctime");
        // the "unix" view does not give st_blocks: the size rounded up to whole blocks of BLKSIZE
        long blocks = (size + BLKSIZE - 1) / BLKSIZE * (BLKSIZE / BLOCK_UNIT);
        return new FileStat((Long) a.get("dev"), (Long) a.get("ino"), (Integer) a.get("mode"),
                ((Integer) a.get("nlink")).longValue(), (Integer) a.get("uid"), (Integer) a.get("gid"), (Long) a.get("rdev"),
                size, BLKSIZE, blocks, seconds(at), nanos(at), seconds(mt), nanos(mt), seconds(ct), nanos(ct));
    }

    /** A read-only directory owned by root that exists only in the guest's name space. */
    static FileStat synthetic(String guestPath) {
        // a stable inode number per path, in a range real file systems rarely reach
        long ino = 0x7fff_0000_0000_0000L | (guestPath.hashCode() & 0xffff_ffffL);
        return new FileStat(0, ino, Linux.S_IFDIR | 0555, 2, 0, 0, 0, BLKSIZE, BLKSIZE, 0, 0, 0, 0, 0, 0, 0);
    }

    private static long seconds(FileTime t) {
        return Math.floorDiv(t.to(java.util.concurrent.TimeUnit.NANOSECONDS), 1_000_000_000L);
    }

    private static long nanos(FileTime t) {
        return Math.floorMod(t.to(java.util.concurrent.TimeUnit.NANOSECONDS), 1_000_000_000L);
    }
}
