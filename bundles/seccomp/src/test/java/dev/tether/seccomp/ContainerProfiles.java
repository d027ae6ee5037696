package dev.tether.seccomp;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The real profiles, arches, syscall tables and syscall mix the compiler is measured on (test
 * fixtures of {@link ContainerProfilesTest} and {@link SeccompBench}).
 */
final class ContainerProfiles {
    private ContainerProfiles() {
    }

    /** Where Debian's golang-github-docker-docker-dev puts Docker's default profile (Docker 20.10). */
    static final String DOCKER_PROFILE = "usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json";
    /** Docker's default capabilities: moby oci/caps/defaults.go, DefaultCapabilities (20.10). */
    static final Set<String> DOCKER_CAPS = Set.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
            "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
            "CAP_KILL", "CAP_AUDIT_WRITE");
    /** Podman's default capabilities: containers/common pkg/config/default.go, DefaultCapabilities. */
    static final Set<String> PODMAN_CAPS = Set.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
            "CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT");
    /** The kernel the profiles are resolved for ({@code includes.minKernel}): Debian bookworm's 6.1. */
    static final int[] KERNEL = {6, 1};
    /** The highest syscall number probed in libseccomp's tables (both arches stop below 500 in 2.5.4). */
    static final int TABLE_PROBE = 1024;

    /** One arch: Go's name (the profiles' {@code arches}), audit arch, and foreign ABI. */
    record Arch(String goArch, int auditArch, ForeignAbi foreignAbi) {
    }

    /** AUDIT_ARCH_X86_64 (include/uapi/linux/audit.h); x32's __X32_SYSCALL_BIT (arch/x86/include/uapi/asm/unistd.h). */
    static final Arch AMD64 = new Arch("amd64", 0xc000003e, new ForeignAbi("x32", 0x40000000));
    /** AUDIT_ARCH_AARCH64 (include/uapi/linux/audit.h). */
    static final Arch ARM64 = new Arch("arm64", 0xc00000b7, null);
    static final List<Arch> ARCHES = List.of(AMD64, ARM64);

    /** Fails (CI=true) or skips loudly when something the comparison needs is missing. */
    static void require(boolean present, String what) {
        if (present) {
            return;
        }
        if ("true".equals(System.getenv("CI"))) {
            Assertions.fail(what + " (CI=true: required)");
        }
        System.err.println("SKIPPED, NOT RUN: " + what);
        Assumptions.abort(what);
    }

    /** libseccomp, or a failure/skip naming what to install. */
    static void requireLibseccomp() {
        Optional<String> problem = LibSeccomp.unavailable();
        require(problem.isEmpty(), problem.orElse(""));
    }

    /** Docker's default profile: installed, or unpacked by .ci/fetch-docker-profile into target/. */
    static ContainerProfile docker() {
        List<Path> candidates = new ArrayList<>();
        candidates.add(Path.of("/", DOCKER_PROFILE));
        Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (; dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve(".ci/fetch-docker-profile"))) {
                candidates.add(dir.resolve("target/docker-profile/root").resolve(DOCKER_PROFILE));
                break;
            }
        }
        Optional<Path> found = candidates.stream().filter(Files::isRegularFile).findFirst();
        require(found.isPresent(), "Docker's default seccomp profile is missing; looked at " + candidates
                + "; run .ci/fetch-docker-profile (apt-get download golang-github-docker-docker-dev + dpkg -x into target/)");
        try {
            return ContainerProfile.read(found.get());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Podman's default profile, the copy in the test resources (see podman-seccomp.json.source). */
    static ContainerProfile podman() {
        return ContainerProfile.parse("containers/common pkg/seccomp/seccomp.json", resource("profiles/podman-seccomp.json"));
    }

    static String resource(String name) {
        try (InputStream in = ContainerProfiles.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("test resource " + name + " is missing");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Both profiles resolved for {@code arch} with their engine's default capabilities. */
    static Map<String, ContainerProfile.Resolved> resolved(Arch arch) {
        Map<String, ContainerProfile.Resolved> m = new LinkedHashMap<>();
        m.put("docker", docker().resolve(arch.goArch(), arch.auditArch(), DOCKER_CAPS, KERNEL));
        m.put("podman", podman().resolve(arch.goArch(), arch.auditArch(), PODMAN_CAPS, KERNEL));
        return m;
    }

    /** libseccomp's syscall table for {@code arch} as a {@link SyscallTable} (the numbers runc would use). */
    static SyscallTable table(Arch arch) {
        Map<String, Integer> byName = new LinkedHashMap<>();
        for (int nr = 0; nr < TABLE_PROBE; nr++) {
            int n = nr;
            LibSeccomp.name(arch.auditArch(), nr).ifPresent(name -> byName.put(name, n));
        }
        Map<String, Integer> all = Collections.unmodifiableMap(byName);
        return new SyscallTable() {
            @Override public String arch() { return arch.goArch(); }
            @Override public int auditArch() { return arch.auditArch(); }
            @Override public OptionalInt number(String name) {
                Integer n = all.get(name);
                return n == null ? OptionalInt.empty() : OptionalInt.of(n);
            }
            @Override public Optional<String> name(int nr) {
                return all.entrySet().stream().filter(e -> e.getValue() == nr).map(Map.Entry::getKey).findFirst();
            }
            @Override public Map<String, Integer> all() { return all; }
            @Override public String source() { return "libseccomp " + LibSeccomp.version() + " syscall table"; }
            @Override public Optional<ForeignAbi> foreignAbi() { return Optional.ofNullable(arch.foreignAbi()); }
        };
    }

    /** The nginx syscall mix (profiles/nginx-mix.txt) as number -&gt; calls on {@code table}'s arch. */
    static Map<Integer, Long> mix(SyscallTable table) {
        Map<Integer, Long> m = new LinkedHashMap<>();
        for (String line : resource("profiles/nginx-mix.txt").split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.trim().split("\\s+");
            String name = f[0];
            if (table.number(name).isEmpty() && name.equals("epoll_wait")) {
                name = "epoll_pwait"; // asm-generic (arm64) has only the p-variant; glibc calls it
            }
            OptionalInt nr = table.number(name);
            if (nr.isPresent()) {
                m.merge(nr.getAsInt(), Long.parseLong(f[1]), Long::sum);
            }
        }
        return m;
    }
}
