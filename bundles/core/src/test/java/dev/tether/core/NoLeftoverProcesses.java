package dev.tether.core;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class that leaves a process behind: any child of this JVM (a stub, a zombie, a
 * stopped child) or any process traced by one of this JVM's threads.
 */
public final class NoLeftoverProcesses implements AfterAllCallback {
    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        List<String> left = leftovers();
        if (!left.isEmpty()) {
            fail(context.getDisplayName() + " left processes behind: " + left);
        }
    }

    /** Children of this JVM and tracees of its threads, described from /proc. */
    static List<String> leftovers() throws IOException {
        long self = ProcessHandle.current().pid();
        Set<String> ownTasks = new HashSet<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path t : tasks) {
                ownTasks.add(t.getFileName().toString());
            }
        }
        List<String> left = new ArrayList<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : procs) {
                String status;
                try {
                    status = Files.readString(p.resolve("status"));
                } catch (IOException e) {
                    continue; // gone meanwhile
                }
                String ppid = field(status, "PPid");
                String tracer = field(status, "TracerPid");
                if (ppid.equals(Long.toString(self)) || ownTasks.contains(tracer)) {
                    left.add(p.getFileName() + "(" + field(status, "Name") + ", " + field(status, "State")
                            + ", seccomp " + field(status, "Seccomp") + ")");
                }
            }
        }
        return left;
    }

    static String field(String status, String name) {
        for (String line : status.split("\n")) {
            if (line.startsWith(name + ":")) {
                return line.substring(name.length() + 1).trim();
            }
        }
        return "";
    }
}
