package dev.tether.guest.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The per-guest fd table and the file system calls over granted read-only directories. */
class FileSyscallsTest {
    @TempDir
    Path tmp;
    Path root;
    KernelFixture k;

    @BeforeEach
    void setUp() throws IOException {
        root = Files.createDirectories(tmp.resolve("ro"));
        Files.writeString(root.resolve("a.txt"), "0123456789abcdef");
        Files.createDirectories(root.resolve("dir"));
        Files.writeString(root.resolve("dir/x"), "x");
        Files.writeString(tmp.resolve("secret"), "secret");
        Files.createSymbolicLink(root.resolve("link"), Path.of("a.txt"));
        Files.createSymbolicLink(root.resolve("out"), tmp.resolve("secret"));
        k = new KernelFixture(List.of(root), "typed".getBytes(StandardCharsets.UTF_8));
    }

    private long open(String path, int flags) {
        return k.call("openat", Linux.AT_FDCWD, k.string(path), flags, 0);
    }

    @Test
    void openReadSeekPreadClose() {
        long fd = open(root + "/a.txt", Linux.O_RDONLY);
        assertEquals(3, fd, "the lowest free fd after 0, 1, 2");
        long buf = k.buffer(64);
        assertEquals(4, k.call("read", fd, buf, 4));
        assertEquals("0123", k.text(buf, 4));
        assertEquals(4, k.call("read", fd, buf, 4));
        assertEquals("4567", k.text(buf, 4));
        assertEquals(14, k.call("lseek", fd, -2, Linux.SEEK_END));
        assertEquals(2, k.call("read", fd, buf, 64));
        assertEquals("ef", k.text(buf, 2));
        assertEquals(0, k.call("read", fd, buf, 64), "end of file");
        assertEquals(3, k.call("pread64", fd, buf, 3, 10));
        assertEquals("abc", k.text(buf, 3));
        assertEquals(16, k.call("lseek", fd, 0, Linux.SEEK_CUR), "pread leaves the offset");
        assertEquals(-Linux.EINVAL, k.call("lseek", fd, -100, Linux.SEEK_SET));
        assertEquals(-Linux.EBADF, k.call("write", fd, buf, 1), "read-only");
        assertEquals(0, k.call("close", fd));
        assertEquals(-Linux.EBADF, k.call("close", fd));
        assertEquals(-Linux.EBADF, k.call("read", fd, buf, 1));
    }

    @Test
    void stdioIsTheCallersStreams() {
        long buf = k.buffer(16);
        assertEquals(5, k.call("read", 0, buf, 16));
        assertEquals("typed", k.text(buf, 5));
        long msg = k.string("hello\n");
        assertEquals(6, k.call("write", 1, msg, 6));
        assertEquals("hello\n", k.stdout());
        assertEquals(-Linux.ESPIPE, k.call("lseek", 1, 0, Linux.SEEK_SET));
        assertEquals(-Linux.ENOTTY, k.call("ioctl", 1, Linux.TCGETS, buf));
        assertEquals(-Linux.ENOTTY, k.call("ioctl", 0, Linux.TIOCGWINSZ, buf));
        assertEquals(-Linux.EBADF, k.call("ioctl", 9, Linux.TCGETS, buf));
    }

    @Test
    void writevGathersAndReadvScatters() {
        long a = k.string("ab");
        long b = k.string("cde");
        long iov = k.bytes(ByteBuffer.allocate(32).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putLong(a).putLong(2).putLong(b).putLong(3).array());
        assertEquals(5, k.call("writev", 2, iov, 2));
        assertEquals("abcde", k.err.toString(StandardCharsets.UTF_8));
        long fd = open(root + "/a.txt", Linux.O_RDONLY);
        long x = k.buffer(8);
        long y = k.buffer(8);
        long iov2 = k.bytes(ByteBuffer.allocate(32).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putLong(x).putLong(3).putLong(y).putLong(8).array());
        assertEquals(11, k.call("readv", fd, iov2, 2));
        assertEquals("012", k.text(x, 3));
        assertEquals("3456789a", k.text(y, 8));
        assertEquals(-Linux.EINVAL, k.call("readv", fd, iov2, Linux.UIO_MAXIOV + 1));
    }

    @Test
    void writesAnywhereAreRefused() {
        assertEquals(-Linux.EROFS, open(root + "/a.txt", Linux.O_WRONLY));
        assertEquals(-Linux.EROFS, open(root + "/a.txt", Linux.O_RDWR));
        assertEquals(-Linux.EROFS, open(root + "/a.txt", Linux.O_RDONLY | Linux.O_TRUNC));
        assertEquals(-Linux.EROFS, open(root + "/new.txt", Linux.O_WRONLY | Linux.O_CREAT));
        assertEquals(-Linux.EROFS, open(tmp + "/new.txt", Linux.O_WRONLY | Linux.O_CREAT), "a synthetic ancestor is read-only too");
        assertEquals(-Linux.ENOENT, open("/no/such/dir/new.txt", Linux.O_WRONLY | Linux.O_CREAT), "outside: nothing there");
        assertEquals(-Linux.EROFS, k.call("faccessat", Linux.AT_FDCWD, k.string(root + "/a.txt"), 2));
        assertEquals(0, k.call("faccessat", Linux.AT_FDCWD, k.string(root + "/a.txt"), 4));
        assertEquals(-Linux.EACCES, k.call("faccessat", Linux.AT_FDCWD, k.string(root + "/a.txt"), 1), "not executable");
        assertEquals(-Linux.EINVAL, k.call("faccessat", Linux.AT_FDCWD, k.string(root + "/a.txt"), 8));
    }

    @Test
    void escapesThroughTheSystemCallsFindNothing() throws IOException {
        assertEquals(-Linux.ENOENT, open(tmp + "/secret", Linux.O_RDONLY));
        assertEquals(-Linux.ENOENT, open(root + "/../secret", Linux.O_RDONLY));
        assertEquals(-Linux.ENOENT, open(root + "/out", Linux.O_RDONLY));
        assertEquals(-Linux.ENOENT, open("/etc/passwd", Linux.O_RDONLY));
        long dirfd = open(root + "/dir", Linux.O_RDONLY | k.abi.openDirectoryFlag());
        assertEquals(-Linux.ENOENT, k.call("openat", dirfd, k.string("../../secret"), Linux.O_RDONLY, 0));
        assertEquals(-Linux.ENOENT, k.call("newfstatat", dirfd, k.string("../../secret"), k.buffer(256), 0));
        assertEquals(-Linux.ELOOP, open(root + "/link", Linux.O_RDONLY | k.abi.openNoFollowFlag()));
        // only the link's own text can be read, never what it points at
        long buf = k.buffer(256);
        long n = k.call("readlinkat", Linux.AT_FDCWD, k.string(root + "/out"), buf, 256);
        assertEquals(tmp.resolve("secret").toString(), k.text(buf, (int) n));
        assertEquals(-Linux.EINVAL, k.call("readlinkat", Linux.AT_FDCWD, k.string(root + "/a.txt"), buf, 256));
        assertEquals(Map.of(0, "stdin", 1, "stdout", 2, "stderr", 3, root + "/dir"), k.process.openFiles());
    }

    @Test
    void devicesAndFifosAreNeverOpenedOnTheHost() throws Exception {
        Path fifo = root.resolve("fifo");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertEquals(0, mk.waitFor());
        assertEquals(-Linux.EACCES, open(fifo.toString(), Linux.O_RDONLY), "opening a FIFO would block the JVM");
    }

    @Test
    void fstatAndNewfstatatReportTheHostFile() throws IOException {
        long fd = open(root + "/a.txt", Linux.O_RDONLY);
        long st = k.buffer(256);
        assertEquals(0, k.call("fstat", fd, st));
        ByteBuffer b = k.le(st, 128); // SimpleAbi: 16 longs in FileStat order
        long ino = (Long) Files.getAttribute(root.resolve("a.txt"), "unix:ino");
        assertEquals(ino, b.getLong(8));
        assertEquals(Linux.S_IFREG, b.getLong(16) & Linux.S_IFMT);
        assertEquals(16, b.getLong(56), "size");
        assertEquals(0, k.call("newfstatat", Linux.AT_FDCWD, k.string(root + "/link"), st, 0));
        assertEquals(ino, k.le(st, 16).getLong(8), "followed");
        assertEquals(0, k.call("newfstatat", Linux.AT_FDCWD, k.string(root + "/link"), st, Linux.AT_SYMLINK_NOFOLLOW));
        assertEquals(Linux.S_IFLNK, k.le(st, 24).getLong(16) & Linux.S_IFMT, "the link itself");
        assertEquals(0, k.call("newfstatat", fd, k.string(""), st, Linux.AT_EMPTY_PATH));
        assertEquals(ino, k.le(st, 16).getLong(8), "AT_EMPTY_PATH: the fd itself");
        assertEquals(-Linux.ENOENT, k.call("newfstatat", fd, k.string(""), st, 0));
        assertEquals(-Linux.EINVAL, k.call("newfstatat", Linux.AT_FDCWD, k.string(root + "/a.txt"), st, 0x8));
        assertEquals(0, k.call("newfstatat", Linux.AT_FDCWD, k.string("/"), st, 0));
        assertEquals(Linux.S_IFDIR | 0555, k.le(st, 24).getLong(16), "a synthetic ancestor");
    }

    @Test
    void statxLaysOutTheGenericStruct() throws IOException {
        long buf = k.buffer(256);
        assertEquals(0, k.call("statx", Linux.AT_FDCWD, k.string(root + "/a.txt"), 0, Linux.STATX_BASIC_STATS, buf));
        ByteBuffer b = k.le(buf, 256);
        Map<String, Object> a = Files.readAttributes(root.resolve("a.txt"), "unix:*");
        assertEquals(Linux.STATX_BASIC_STATS, b.getInt(0));
        assertEquals(((Integer) a.get("mode")).shortValue(), b.getShort(28));
        assertEquals((Long) a.get("ino"), b.getLong(32));
        assertEquals(16, b.getLong(40));
        long mtime = ((java.nio.file.attribute.FileTime) a.get("lastModifiedTime")).to(java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(mtime, b.getLong(112));
        long dev = (Long) a.get("dev");
        assertEquals(dev, ((long) b.getInt(136) << 8) | b.getInt(140) & 0xff, "dev major/minor for small numbers");
    }

    @Test
    void getdentsListsEveryEntryOnceAcrossSmallBuffers() throws IOException {
        long fd = open(root + "/", Linux.O_RDONLY | k.abi.openDirectoryFlag());
        List<String> names = new ArrayList<>();
        long buf = k.buffer(64);
        while (true) {
            long n = k.call("getdents64", fd, buf, 64);
            assertTrue(n >= 0, "getdents64 = " + n);
            if (n == 0) {
                break;
            }
            ByteBuffer b = k.le(buf, (int) n);
            while (b.hasRemaining()) {
                int start = b.position();
                b.getLong();
                b.getLong();
                int reclen = b.getShort();
                b.get();
                byte[] name = new byte[reclen - Dirent.NAME_OFFSET];
                b.get(name);
                int len = 0;
                while (name[len] != 0) {
                    len++;
                }
                names.add(new String(name, 0, len, StandardCharsets.UTF_8));
                assertEquals(0, reclen % 8);
                b.position(start + reclen);
            }
        }
        assertEquals(List.of(".", "..", "a.txt", "dir", "link", "out"), names);
        assertEquals(-Linux.EINVAL, k.call("getdents64", open(root + "/dir", Linux.O_RDONLY), buf, 8), "too small");
        assertEquals(-Linux.ENOTDIR, k.call("getdents64", open(root + "/a.txt", Linux.O_RDONLY), buf, 64));
        assertEquals(-Linux.ENOTDIR, open(root + "/a.txt", Linux.O_RDONLY | k.abi.openDirectoryFlag()));
        assertEquals(-Linux.EISDIR, k.call("read", fd, buf, 8));
    }

    @Test
    void dupFamilyAndFcntlShareTheOpenFile() {
        long fd = open(root + "/a.txt", Linux.O_RDONLY | Linux.O_CLOEXEC);
        assertEquals(Linux.FD_CLOEXEC, k.call("fcntl", fd, Linux.F_GETFD, 0));
        long d = k.call("dup", fd);
        assertEquals(4, d);
        assertEquals(0, k.call("fcntl", d, Linux.F_GETFD, 0), "dup clears FD_CLOEXEC");
        long buf = k.buffer(8);
        k.call("read", fd, buf, 5);
        assertEquals(5, k.call("lseek", d, 0, Linux.SEEK_CUR), "one offset for both");
        assertEquals(9, k.call("dup2", fd, 9));
        assertEquals(9, k.call("dup3", fd, 9, Linux.O_CLOEXEC));
        assertEquals(Linux.FD_CLOEXEC, k.call("fcntl", 9, Linux.F_GETFD, 0));
        assertEquals(-Linux.EINVAL, k.call("dup3", 9, 9, 0));
        assertEquals(9, k.call("dup2", 9, 9));
        assertEquals(-Linux.EBADF, k.call("dup2", 42, 9));
        assertEquals(10, k.call("fcntl", fd, Linux.F_DUPFD, 10));
        assertEquals(5, k.call("fcntl", fd, Linux.F_DUPFD_CLOEXEC, 0));
        assertEquals(Linux.O_RDONLY, k.call("fcntl", fd, Linux.F_GETFL, 0) & Linux.O_ACCMODE);
        assertEquals(0, k.call("fcntl", fd, Linux.F_SETFL, Linux.O_NONBLOCK));
        assertEquals(Linux.O_NONBLOCK, k.call("fcntl", d, Linux.F_GETFL, 0) & Linux.O_NONBLOCK, "status flags are shared");
        assertEquals(-Linux.EINVAL, k.call("fcntl", fd, 9999, 0));
        assertEquals(0, k.call("close", fd));
        assertEquals(3, k.call("lseek", d, 3, Linux.SEEK_SET), "the file lives while a dup refers to it");
        assertEquals(3, open(root + "/a.txt", Linux.O_RDONLY), "the lowest free fd again");
    }

    @Test
    void theFdLimitIsRlimitNofile() {
        long rl = k.bytes(ByteBuffer.allocate(16).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(5).putLong(4096).array());
        assertEquals(0, k.call("prlimit64", 0, Linux.RLIMIT_NOFILE, rl, 0));
        assertEquals(3, open(root + "/a.txt", Linux.O_RDONLY));
        assertEquals(4, open(root + "/a.txt", Linux.O_RDONLY));
        assertEquals(-Linux.EMFILE, open(root + "/a.txt", Linux.O_RDONLY));
    }

    @Test
    void relativePathsUseTheCwdAndDirfds() {
        assertEquals(-Linux.ENOENT, open("a.txt", Linux.O_RDONLY), "the cwd starts at /");
        assertEquals(0, k.call("chdir", k.string(root.toString())));
        long buf = k.buffer(256);
        long n = k.call("getcwd", buf, 256);
        assertEquals(root + "\0", k.text(buf, (int) n));
        assertEquals(-Linux.ERANGE, k.call("getcwd", buf, 2));
        assertEquals(3, open("a.txt", Linux.O_RDONLY));
        long dirfd = open(root + "/dir", Linux.O_RDONLY);
        long fd = k.call("openat", dirfd, k.string("x"), Linux.O_RDONLY, 0);
        assertEquals(1, k.call("read", fd, buf, 10));
        assertEquals(-Linux.ENOTDIR, k.call("openat", fd, k.string("x"), Linux.O_RDONLY, 0));
        assertEquals(-Linux.ENOTDIR, k.call("chdir", k.string(root + "/a.txt")));
        assertEquals(-Linux.EFAULT, k.call("openat", Linux.AT_FDCWD, 0x10, Linux.O_RDONLY, 0), "unmapped path address");
    }

    @Test
    void sendfileCopiesBetweenGuestFiles() {
        long fd = open(root + "/a.txt", Linux.O_RDONLY);
        assertEquals(16, k.call("sendfile", 1, fd, 0, 100));
        assertEquals("0123456789abcdef", k.stdout());
        long off = k.bytes(ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(12).array());
        assertEquals(4, k.call("sendfile", 1, fd, off, 100));
        assertEquals(16, k.le(off, 8).getLong());
        assertArrayEquals("0123456789abcdefcdef".getBytes(StandardCharsets.UTF_8), k.out.toByteArray());
    }

    @Test
    void aFileMapIsAPrivateCopy() {
        long fd = open(root + "/a.txt", Linux.O_RDONLY);
        int read = dev.tether.abi.Mman.PROT_READ;
        long at = k.call("mmap", 0, 4096, read, dev.tether.abi.Mman.MAP_PRIVATE, fd, 0);
        assertTrue(at > 0, "mmap = " + at);
        assertEquals("0123456789abcdef", k.text(at, 16));
        assertArrayEquals(new byte[16], k.peek(at + 16, 16), "past the end of the file: zeros");
        assertEquals(read, k.memory.protection(at));
        assertEquals(-Linux.EACCES, k.call("mmap", 0, 4096, read | dev.tether.abi.Mman.PROT_WRITE,
                dev.tether.abi.Mman.MAP_SHARED, fd, 0));
        assertEquals(-Linux.ENODEV, k.call("mmap", 0, 4096, read, dev.tether.abi.Mman.MAP_PRIVATE, 1, 0));
        assertEquals(-Linux.EINVAL, k.call("mmap", 0, 4096, read, dev.tether.abi.Mman.MAP_PRIVATE, fd, 7));
    }
}
