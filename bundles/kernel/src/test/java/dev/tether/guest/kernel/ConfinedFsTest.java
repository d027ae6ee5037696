package dev.tether.guest.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The guest's name space: granted directories only; no way out by "..", symbolic links or loops. */
class ConfinedFsTest {
    @TempDir
    Path tmp;
    Path root;
    Path secret;
    ConfinedFs fs;

    @BeforeEach
    void tree() throws IOException {
        root = Files.createDirectories(tmp.resolve("granted"));
        secret = Files.writeString(tmp.resolve("secret.txt"), "not for the guest");
        Files.createDirectories(root.resolve("sub/deeper"));
        Files.writeString(root.resolve("sub/file.txt"), "hello");
        Files.createSymbolicLink(root.resolve("inside-link"), Path.of("sub/file.txt"));
        Files.createSymbolicLink(root.resolve("abs-inside"), root.resolve("sub"));
        Files.createSymbolicLink(root.resolve("escape-abs"), secret);
        Files.createSymbolicLink(root.resolve("escape-rel"), Path.of("../secret.txt"));
        Files.createSymbolicLink(root.resolve("sub/escape-deep"), Path.of("../../../../../../" + secret));
        Files.createSymbolicLink(root.resolve("escape-dir"), tmp);
        Files.createSymbolicLink(root.resolve("loop-a"), Path.of("loop-b"));
        Files.createSymbolicLink(root.resolve("loop-b"), Path.of("loop-a"));
        fs = new ConfinedFs(List.of(root));
    }

    private int errno(String path, boolean follow) {
        return assertThrows(SyscallError.class, () -> fs.resolve(path, follow), path).errno;
    }

    @Test
    void resolvesInsideAndThroughInsideLinks() throws IOException {
        assertEquals(root.resolve("sub/file.txt").toRealPath(), fs.resolve(root + "/sub/file.txt", true).hostPath());
        assertEquals(root.resolve("sub/file.txt").toRealPath(), fs.resolve(root + "/inside-link", true).hostPath());
        assertEquals(root + "/sub/file.txt", fs.resolve(root + "/inside-link", true).guestPath());
        assertEquals(root + "/sub/deeper", fs.resolve(root + "/abs-inside/deeper", true).guestPath());
        assertEquals(root + "/sub", fs.resolve(root + "/sub/deeper/..", true).guestPath());
        assertEquals(root + "/sub/file.txt", fs.resolve(root + "//./sub/./deeper/../file.txt", true).guestPath());
    }

    @Test
    void dotDotCannotLeaveTheGrantedDirectory() {
        assertEquals(Linux.ENOENT, errno(root + "/../secret.txt", true));
        assertEquals(Linux.ENOENT, errno(root + "/sub/../../secret.txt", true));
        assertEquals(Linux.ENOENT, errno(root + "/sub/../../../../../../../../" + secret, true));
        assertEquals(Linux.ENOENT, errno("/etc/passwd", true));
    }

    @Test
    void symbolicLinksCannotLeaveTheGrantedDirectory() {
        assertEquals(Linux.ENOENT, errno(root + "/escape-abs", true));
        assertEquals(Linux.ENOENT, errno(root + "/escape-rel", true));
        assertEquals(Linux.ENOENT, errno(root + "/sub/escape-deep", true));
        assertEquals(Linux.ENOENT, errno(root + "/escape-dir/secret.txt", true));
        // a link to an ancestor leads only where the guest's name space already leads: back into the grant
        assertEquals(root + "/sub/file.txt", fs.resolve(root + "/escape-dir/granted/sub/file.txt", true).guestPath());
    }

    @Test
    void aLinkItselfMayBeNamedWithoutFollowingIt() {
        ConfinedFs.Resolved r = fs.resolve(root + "/escape-abs", false);
        assertEquals(root.resolve("escape-abs"), r.hostPath());
        assertTrue(Files.isSymbolicLink(r.hostPath()));
    }

    @Test
    void loopsEndInEloopAndFilesAreNotDirectories() {
        assertEquals(Linux.ELOOP, errno(root + "/loop-a", true));
        assertEquals(Linux.ENOTDIR, errno(root + "/sub/file.txt/x", true));
        assertEquals(Linux.ENOENT, errno(root + "/missing/x", true));
    }

    @Test
    void ancestorsOfAGrantedDirectoryAreSyntheticAndListOnlyTheWayDown() {
        ConfinedFs.Resolved slash = fs.resolve("/", true);
        assertNull(slash.hostPath());
        String first = root.getName(0).toString();
        assertEquals(List.of(first), fs.syntheticEntries("/"));
        assertEquals(Linux.ENOENT, errno("/" + first + "/not-on-the-way", true));
        assertEquals(Linux.ENOENT, errno(tmp + "/secret.txt", true));
    }

    @Test
    void badGrantsAreRefusedByName() throws IOException {
        IllegalArgumentException relative = assertThrows(IllegalArgumentException.class,
                () -> new ConfinedFs(List.of(Path.of("relative/dir"))));
        assertTrue(relative.getMessage().contains("relative/dir") && relative.getMessage().contains("absolute"));
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> new ConfinedFs(List.of(tmp.resolve("nope"))));
        assertTrue(missing.getMessage().contains("does not exist"));
        IllegalArgumentException file = assertThrows(IllegalArgumentException.class, () -> new ConfinedFs(List.of(secret)));
        assertTrue(file.getMessage().contains("not a directory"));
    }

    @Test
    void aGrantedSymlinkAppearsAtItsOwnPathAndMapsToItsTarget() throws IOException {
        Path alias = Files.createSymbolicLink(tmp.resolve("alias"), root);
        ConfinedFs aliased = new ConfinedFs(List.of(alias));
        ConfinedFs.Resolved r = aliased.resolve(alias + "/sub/file.txt", true);
        assertEquals(alias + "/sub/file.txt", r.guestPath());
        assertEquals(root.toRealPath().resolve("sub/file.txt"), r.hostPath());
        // the link's target is not itself in the guest's name space
        assertEquals(Linux.ENOENT, assertThrows(SyscallError.class, () -> aliased.resolve(root + "/sub", true)).errno);
    }
}
