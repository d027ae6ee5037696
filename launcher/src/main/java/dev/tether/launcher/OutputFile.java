package dev.tether.launcher;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * A file given with {@code -o}, written whole or not at all: the bytes go to a temporary file
 * beside it ({@code .NAME.PID.N.tmp}, created with the usual permissions), which {@link #commit}
 * moves over it; {@link #close} without a commit deletes the temporary file. A command that
 * fails half-way leaves the target as it was.
 */
final class OutputFile implements AutoCloseable {
    private static final AtomicLong COUNTER = new AtomicLong();

    private final Path target;
    private final Path temp;
    private final OutputStream stream;
    private boolean done;

    private OutputFile(Path target, Path temp, OutputStream stream) {
        this.target = target;
        this.temp = temp;
        this.stream = stream;
    }

    /**
     * Checks, before anything is done, that {@code target} can be an output file: not a
     * directory, in a directory that exists.
     *
     * @throws ParameterException (exit 2) naming the option and the problem
     */
    static void check(CommandLine cl, String option, Path target) {
        if (Files.isDirectory(target)) {
            throw new ParameterException(cl, option + " " + target + " is a directory");
        }
        Path dir = target.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new ParameterException(cl, option + " " + target + ": no such directory: "
                    + (target.getParent() != null ? target.getParent() : dir));
        }
    }

    /**
     * Creates the temporary file.
     *
     * @throws CliException (exit 2) when it cannot be created: the directory is not writable
     */
    static OutputFile create(String option, Path target) {
        Path dir = target.toAbsolutePath().getParent();
        Path temp = dir.resolve("." + target.getFileName() + "." + ProcessHandle.current().pid() + "."
                + COUNTER.incrementAndGet() + ".tmp");
        try {
            OutputStream out = Files.newOutputStream(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            return new OutputFile(target, temp, new BufferedOutputStream(out));
        } catch (IOException e) {
            throw new CliException(ExitCode.USAGE, option + " " + target + ": cannot create a file in " + dir + ": " + reason(e));
        }
    }

    /** Where to write. */
    OutputStream stream() {
        return stream;
    }

    /**
     * Closes the temporary file and moves it over the target.
     *
     * @throws CliException (exit 1) when a write, the close or the move fails; nothing is left
     */
    void commit() {
        try {
            stream.close();
            try {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
        } catch (IOException e) {
            throw failed(e);
        } finally {
            close();
        }
    }

    /** The failure of a write to this file, as the command reports it (exit 1). */
    CliException failed(IOException e) {
        return new CliException(ExitCode.FAILED, "cannot write " + target + ": " + reason(e));
    }

    /** Deletes the temporary file unless it was committed. */
    @Override
    public void close() {
        if (done) {
            return;
        }
        done = true;
        try {
            stream.close();
        } catch (IOException e) {
            // being thrown away
        }
        try {
            Files.deleteIfExists(temp);
        } catch (IOException e) {
            // nothing better to do: the name says what it is
        }
    }

    /** An I/O failure in a few words: "No space left on device", "Permission denied". */
    static String reason(IOException e) {
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "Permission denied";
        }
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "No such file or directory";
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
