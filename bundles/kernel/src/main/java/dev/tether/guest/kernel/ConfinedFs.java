package dev.tether.guest.kernel;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The guest's file name space: the read-only directories the caller granted, each at its own absolute
 * path, and the directories leading to them (synthetic and empty but for the way to a granted one).
 * Nothing else exists for the guest. A path is resolved one component at a time in the guest's name
 * space, as {@code fs/namei.c} walks it: {@code ..} goes to the parent of what was resolved so far
 * (never above {@code /}), and a symbolic link is read without following it ({@code lstat}) and its
 * target resolved again from its directory (or {@code /}), so neither can leave the granted directories;
 * at most {@link Linux#MAXSYMLINKS} links are followed. The host path finally used is checked once
 * more with {@link Path#toRealPath} against the granted directories' real paths.
 *
 * <p>Limit: a host process that swaps a directory inside a granted one for a symbolic link between the
 * check and the open could win a race (Java has no {@code openat}); the guest itself can never write.
 */
final class ConfinedFs {

    /** A granted directory: its path in the guest (as given, normalised) and its real host path. */
    record Root(String guestPath, Path hostPath) {
    }

    /**
     * A resolved guest path: {@code guestPath} (absolute, normalised, no symbolic link but maybe the last
     * component) and the host path behind it, or null for a synthetic directory leading to a root.
     */
    record Resolved(String guestPath, Path hostPath) {
        boolean synthetic() {
            return hostPath == null;
        }
    }

    private final List<Root> roots;

    /**
     * @throws IllegalArgumentException naming a directory that is not absolute, does not exist or is not
     *     a directory
     */
    ConfinedFs(List<Path> readOnlyDirs) {
        List<Root> list = new ArrayList<>();
        for (Path dir : readOnlyDirs) {
            if (!dir.isAbsolute()) {
                throw new IllegalArgumentException("read-only directory " + dir + " is not an absolute path");
            }
            Path real;
            try {
                real = dir.toRealPath();
            } catch (IOException e) {
                throw new IllegalArgumentException("read-only directory " + dir + " does not exist: " + e.getMessage(), e);
            }
            if (!Files.isDirectory(real)) {
                throw new IllegalArgumentException("read-only directory " + dir + " is not a directory");
            }
            String guest = normalise(dir.toString());
            list.add(new Root(guest, real));
        }
        this.roots = List.copyOf(list);
    }

    List<Root> roots() {
        return roots;
    }

    /** {@code path} made absolute against {@code base} and lexically normalised: no ".", "..", "//". */
    static String normalise(String path) {
        Deque<String> parts = new ArrayDeque<>();
        for (String c : path.split("/")) {
            if (c.isEmpty() || c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                parts.pollLast();
            } else {
                parts.addLast(c);
            }
        }
        return "/" + String.join("/", parts);
    }

    /**
     * Resolves {@code path} (absolute) in the guest's name space.
     *
     * @param followLast whether a symbolic link in the last component is followed
     * @throws SyscallError ENOENT (not in the guest's name space, or missing), ENOTDIR, ELOOP, EACCES (a
     *     host path that leaves the granted directories after all)
     */
    Resolved resolve(String path, boolean followLast) {
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("not an absolute guest path: " + path);
        }
        Deque<String> todo = new ArrayDeque<>();
        push(todo, path);
        List<String> done = new ArrayList<>();
        int links = 0;
        while (!todo.isEmpty()) {
            String c = todo.pollFirst();
            if (c.equals("..")) {
                if (!done.isEmpty()) {
                    done.remove(done.size() - 1);
                }
                continue;
            }
            done.add(c);
            String guest = "/" + String.join("/", done);
            Path host = hostPath(guest);
            boolean last = todo.isEmpty();
            if (host == null) {
                if (!isAncestorOfRoot(guest)) {
                    throw new SyscallError(Linux.ENOENT);
                }
                continue;
            }
            BasicFileAttributes a = lstat(host);
            if (a.isSymbolicLink() && !isRoot(guest) && (!last || followLast)) {
                if (++links > Linux.MAXSYMLINKS) {
                    throw new SyscallError(Linux.ELOOP);
                }
                String target;
                try {
                    target = Files.readSymbolicLink(host).toString();
                } catch (IOException e) {
                    throw new SyscallError(Linux.ENOENT);
                }
                done.remove(done.size() - 1);
                if (target.startsWith("/")) {
                    done.clear();
                }
                push(todo, target);
                continue;
            }
            if (!last && !a.isDirectory() && !isRoot(guest)) {
                throw new SyscallError(Linux.ENOTDIR);
            }
        }
        String guest = "/" + String.join("/", done);
        Path host = hostPath(guest);
        if (host == null) {
            return new Resolved(guest, null);
        }
        checkConfined(host, followLast || isRoot(guest));
        return new Resolved(guest, host);
    }

    /** The names in synthetic directory {@code guest}: the next component towards each root below it. */
    List<String> syntheticEntries(String guest) {
        Set<String> names = new TreeSet<>();
        String prefix = guest.equals("/") ? "/" : guest + "/";
        for (Root r : roots) {
            if (r.guestPath().startsWith(prefix)) {
                String rest = r.guestPath().substring(prefix.length());
                int slash = rest.indexOf('/');
                names.add(slash < 0 ? rest : rest.substring(0, slash));
            }
        }
        return new ArrayList<>(names);
    }

    /** Whether a write to {@code guest} (resolved or its parent) would land in a granted directory: EROFS. */
    boolean inRoot(String guest) {
        return hostPath(guest) != null;
    }

    private boolean isRoot(String guest) {
        return roots.stream().anyMatch(r -> r.guestPath().equals(guest));
    }

    private boolean isAncestorOfRoot(String guest) {
        String prefix = guest.equals("/") ? "/" : guest + "/";
        return roots.stream().anyMatch(r -> r.guestPath().startsWith(prefix));
    }

    /** The host path of {@code guest} if it lies in a granted directory (the longest match wins). */
    private Path hostPath(String guest) {
        Root best = null;
        for (Root r : roots) {
            if ((guest.equals(r.guestPath()) || guest.startsWith(r.guestPath().equals("/") ? "/" : r.guestPath() + "/"))
                    && (best == null || r.guestPath().length() > best.guestPath().length())) {
                best = r;
            }
        }
        if (best == null) {
            return null;
        }
        String rest = guest.substring(best.guestPath().length());
        return rest.isEmpty() || rest.equals("/") ? best.hostPath() : best.hostPath().resolve(rest.substring(rest.startsWith("/") ? 1 : 0));
    }

    private void checkConfined(Path host, boolean follow) {
        Path real;
        try {
            real = follow ? host.toRealPath() : host.getParent().toRealPath().resolve(host.getFileName());
        } catch (NoSuchFileException e) {
            throw new SyscallError(Linux.ENOENT);
        } catch (IOException e) {
            throw new SyscallError(Linux.EACCES);
        }
        for (Root r : roots) {
            if (real.startsWith(r.hostPath())) {
                return;
            }
        }
        throw new SyscallError(Linux.EACCES);
    }

    static BasicFileAttributes lstat(Path host) {
        try {
            return Files.readAttributes(host, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            throw new SyscallError(Linux.ENOENT);
        } catch (IOException e) {
            throw new SyscallError(Linux.EACCES);
        }
    }

    private static void push(Deque<String> todo, String path) {
        String[] parts = path.split("/");
        for (int i = parts.length - 1; i >= 0; i--) {
            if (!parts[i].isEmpty() && !parts[i].equals(".")) {
                todo.addFirst(parts[i]);
            }
        }
    }
}
