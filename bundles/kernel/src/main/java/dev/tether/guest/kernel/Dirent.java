package dev.tether.guest.kernel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code struct linux_dirent64} (include/linux/dirent.h; the same on every arch): {@code u64 d_ino},
 * {@code s64 d_off}, {@code u16 d_reclen}, {@code u8 d_type}, {@code char d_name[]} NUL-terminated,
 * each record padded to 8 bytes. {@code d_off} is the cookie of the next entry (its index here), which
 * lseek(SEEK_SET) takes back.
 */
final class Dirent {
    /** Offset of d_name: 8 + 8 + 2 + 1. */
    static final int NAME_OFFSET = 19;

    record Entry(long ino, int type, String name) {
    }

    record Batch(byte[] bytes, int next) {
    }

    private Dirent() {
    }

    /** ".", ".." and the directory's entries, sorted by name (the order is the file system's on Linux). */
    static List<Entry> list(Path dir) throws IOException {
        List<Entry> out = new ArrayList<>();
        out.add(new Entry(ino(dir), 4, "."));
        Path parent = dir.getParent() == null ? dir : dir.getParent();
        out.add(new Entry(ino(parent), 4, ".."));
        List<Path> children = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            ds.forEach(children::add);
        }
        children.sort(null);
        for (Path c : children) {
            Map<String, Object> a;
            try {
                a = Files.readAttributes(c, "unix:ino,mode", java.nio.file.LinkOption.NOFOLLOW_LINKS);
            } catch (IOException e) {
                continue; // gone since listed
            }
            // DT_* = (st_mode & S_IFMT) >> 12 (include/linux/fs.h: S_DT)
            int type = ((Integer) a.get("mode") & Linux.S_IFMT) >>> 12;
            out.add(new Entry((Long) a.get("ino"), type, c.getFileName().toString()));
        }
        return out;
    }

    /** A synthetic directory's entries: ".", ".." and the names leading to granted directories. */
    static List<Entry> synthetic(String guestPath, List<String> names) {
        List<Entry> out = new ArrayList<>();
        out.add(new Entry(HostStat.synthetic(guestPath).ino(), 4, "."));
        out.add(new Entry(HostStat.synthetic(ConfinedFs.normalise(guestPath + "/..")).ino(), 4, ".."));
        for (String n : names) {
            out.add(new Entry(HostStat.synthetic(ConfinedFs.normalise(guestPath + "/" + n)).ino(), 4, n));
        }
        return out;
    }

    /** As many records from index {@code from} as fit {@code capacity} bytes. */
    static Batch encode(List<Entry> entries, int from, int capacity) {
        ByteBuffer b = ByteBuffer.allocate(Math.max(0, Math.min(capacity, 1 << 20))).order(ByteOrder.LITTLE_ENDIAN);
        int i = from;
        while (i < entries.size()) {
            Entry e = entries.get(i);
            byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
            int reclen = (NAME_OFFSET + name.length + 1 + 7) & ~7;
            if (b.remaining() < reclen) {
                break;
            }
            int start = b.position();
            b.putLong(e.ino()).putLong(i + 1).putShort((short) reclen).put((byte) e.type()).put(name);
            while (b.position() < start + reclen) {
                b.put((byte) 0);
            }
            i++;
        }
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return new Batch(out, i);
    }

    private static long ino(Path p) throws IOException {
        return (Long) Files.getAttribute(p, "unix:ino");
    }
}
