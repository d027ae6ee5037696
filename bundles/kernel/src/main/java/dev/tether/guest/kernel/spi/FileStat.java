package dev.tether.guest.kernel.spi;

/**
 * What {@code stat(2)} says of a file, arch-neutral: the fields of the kernel's {@code struct kstat}
 * ({@code include/linux/stat.h}) that {@code struct stat} and {@code struct statx} carry. {@code dev}
 * and {@code rdev} are encoded as user space sees them in {@code st_dev} (glibc's
 * {@code gnu_dev_makedev}: {@code major = (dev >> 8) & 0xfff | (dev >> 32) & ~0xfff},
 * {@code minor = dev & 0xff | (dev >> 12) & ~0xff}).
 */
public record FileStat(long dev, long ino, int mode, long nlink, int uid, int gid, long rdev, long size,
        int blksize, long blocks, long atimeSec, long atimeNsec, long mtimeSec, long mtimeNsec,
        long ctimeSec, long ctimeNsec) {

    /** The major number of {@code dev}-style value {@code d} (glibc {@code gnu_dev_major}). */
    public static long major(long d) {
        return ((d >>> 8) & 0xfff) | ((d >>> 32) & ~0xfffL);
    }

    /** The minor number of {@code dev}-style value {@code d} (glibc {@code gnu_dev_minor}). */
    public static long minor(long d) {
        return (d & 0xff) | ((d >>> 12) & ~0xffL);
    }
}
