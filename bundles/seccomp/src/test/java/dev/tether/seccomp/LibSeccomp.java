package dev.tether.seccomp;

import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import dev.tether.bpf.Program;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Optional;

/**
 * libseccomp as a test-time oracle, through JNA (test code only: the bundle itself never calls
 * native code). JNA rather than a C helper built by gcc at test time: no compiler and no child
 * process per compilation, the same rules go in as data, and the exported program comes back
 * as bytes in this JVM. The functions and constants are those of {@code seccomp.h} in libseccomp
 * 2.5.4 (Debian bookworm's {@code libseccomp-dev}; the library is {@code libseccomp.so.2}).
 */
final class LibSeccomp {
    private LibSeccomp() {
    }

    /** {@code enum scmp_filter_attr}: SCMP_FLTATR_ACT_BADARCH (seccomp.h). */
    static final int SCMP_FLTATR_ACT_BADARCH = 2;
    /** {@code enum scmp_filter_attr}: SCMP_FLTATR_CTL_OPTIMIZE (seccomp.h, libseccomp 2.5+). */
    static final int SCMP_FLTATR_CTL_OPTIMIZE = 8;
    /** SCMP_FLTATR_CTL_OPTIMIZE value 2: the binary tree sorted by syscall number (seccomp_attr_set(3)). */
    static final int OPTIMIZE_BINARY_TREE = 2;
    /** SCMP_ARCH_NATIVE (seccomp.h). */
    static final int SCMP_ARCH_NATIVE = 0;
    /** {@code __NR_SCMP_ERROR} (seccomp.h): what name resolution returns for an unknown name. */
    static final int NR_SCMP_ERROR = -1;
    /** {@code enum scmp_compare} (seccomp.h). */
    static final int SCMP_CMP_NE = 1;
    static final int SCMP_CMP_LT = 2;
    static final int SCMP_CMP_LE = 3;
    static final int SCMP_CMP_EQ = 4;
    static final int SCMP_CMP_GE = 5;
    static final int SCMP_CMP_GT = 6;
    static final int SCMP_CMP_MASKED_EQ = 7;
    /** MFD_CLOEXEC (include/uapi/linux/memfd.h). */
    private static final int MFD_CLOEXEC = 1;
    /** SEEK_SET and SEEK_END (lseek(2), include/uapi/linux/fs.h). */
    private static final int SEEK_SET = 0;
    private static final int SEEK_END = 2;

    /** The calls of libseccomp.so.2 we use (seccomp.h, 2.5.4). */
    interface Api extends Library {
        Pointer seccomp_init(int defAction);

        void seccomp_release(Pointer ctx);

        int seccomp_arch_add(Pointer ctx, int archToken);

        int seccomp_arch_remove(Pointer ctx, int archToken);

        int seccomp_arch_native();

        int seccomp_attr_set(Pointer ctx, int attr, int value);

        int seccomp_rule_add_array(Pointer ctx, int action, int syscall, int argCnt, ArgCmp[] args);

        int seccomp_syscall_resolve_name_arch(int archToken, String name);

        Pointer seccomp_syscall_resolve_num_arch(int archToken, int num);

        int seccomp_export_bpf(Pointer ctx, int fd);

        Pointer seccomp_version();
    }

    /** The libc calls that carry the exported program from a memfd back into Java. */
    interface LibC extends Library {
        int memfd_create(String name, int flags);

        long lseek(int fd, long offset, int whence);

        long read(int fd, Pointer buf, long count);

        int close(int fd);

        void free(Pointer p);
    }

    /** {@code struct scmp_arg_cmp} (seccomp.h): 4 + 4 + 8 + 8 bytes. */
    @Structure.FieldOrder({"arg", "op", "datumA", "datumB"})
    public static class ArgCmp extends Structure {
        public int arg;
        public int op;
        public long datumA;
        public long datumB;
    }

    private static final class Holder {
        static final Api API;
        static final LibC LIBC;
        static final String PROBLEM;

        static {
            Api api = null;
            LibC libc = null;
            String problem = null;
            try {
                api = Native.load("libseccomp.so.2", Api.class);
                libc = Native.load("c", LibC.class);
            } catch (UnsatisfiedLinkError e) {
                problem = "libseccomp.so.2 cannot be loaded (Debian: apt-get install libseccomp-dev, as .ci/run does): " + e.getMessage();
            }
            API = api;
            LIBC = libc;
            PROBLEM = problem;
        }
    }

    /** Why libseccomp is not usable here, if it is not. */
    static Optional<String> unavailable() {
        return Optional.ofNullable(Holder.PROBLEM);
    }

    private static Api api() {
        if (Holder.PROBLEM != null) {
            throw new IllegalStateException(Holder.PROBLEM);
        }
        return Holder.API;
    }

    /** "major.minor.micro" of the loaded library ({@code struct scmp_version}: three unsigned ints). */
    static String version() {
        Pointer v = api().seccomp_version();
        return v.getInt(0) + "." + v.getInt(4) + "." + v.getInt(8);
    }

    /** The number of {@code name} on {@code auditArch} (libseccomp's own table), if it has one there. */
    static Optional<Integer> resolve(int auditArch, String name) {
        int nr = api().seccomp_syscall_resolve_name_arch(auditArch, name);
        // negative: unknown (-1) or a pseudo-syscall of a multiplexed call this arch lacks (-101..)
        return nr < 0 ? Optional.empty() : Optional.of(nr);
    }

    /** The name of {@code nr} on {@code auditArch} in libseccomp's table, if any. */
    static Optional<String> name(int auditArch, int nr) {
        Pointer p = api().seccomp_syscall_resolve_num_arch(auditArch, nr);
        if (p == null) {
            return Optional.empty();
        }
        String s = p.getString(0);
        Holder.LIBC.free(p); // seccomp_syscall_resolve_num_arch(3): the caller frees the string
        return Optional.of(s);
    }

    /** One rule for libseccomp: a syscall (by name), an action, and AND-ed argument comparisons. */
    record Rule(String name, int action, List<ArgCond> conds) {
    }

    /** One {@code struct scmp_arg_cmp}: for SCMP_CMP_MASKED_EQ, {@code a} is the mask and {@code b} the value. */
    record ArgCond(int arg, int op, long a, long b) {
    }

    /**
     * The BPF program libseccomp generates for one arch in binary-tree mode
     * ({@code SCMP_FLTATR_CTL_OPTIMIZE = 2}), exported with {@code seccomp_export_bpf} into a
     * memfd and read back.
     */
    static Program compile(int auditArch, int defaultAction, int badArchAction, List<Rule> rules) {
        Api api = api();
        Pointer ctx = api.seccomp_init(defaultAction);
        if (ctx == null) {
            throw new IllegalStateException("seccomp_init(0x" + Integer.toHexString(defaultAction) + ") failed");
        }
        try {
            if (auditArch != api.seccomp_arch_native()) {
                check(api.seccomp_arch_add(ctx, auditArch), "seccomp_arch_add");
                check(api.seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE), "seccomp_arch_remove(native)");
            }
            check(api.seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, badArchAction), "seccomp_attr_set(ACT_BADARCH)");
            check(api.seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, OPTIMIZE_BINARY_TREE), "seccomp_attr_set(CTL_OPTIMIZE, 2)");
            for (Rule r : rules) {
                ArgCmp[] args = null;
                if (!r.conds().isEmpty()) {
                    args = (ArgCmp[]) new ArgCmp().toArray(r.conds().size());
                    for (int i = 0; i < args.length; i++) {
                        ArgCond c = r.conds().get(i);
                        args[i].arg = c.arg();
                        args[i].op = c.op();
                        args[i].datumA = c.a();
                        args[i].datumB = c.b();
                    }
                }
                // libseccomp takes the native arch's number and translates it by name to the filter's
                // arch (src/arch.c, arch_syscall_translate); a name the native arch lacks resolves to
                // a negative pseudo-syscall number that translates the same way
                int nativeNr = api.seccomp_syscall_resolve_name_arch(SCMP_ARCH_NATIVE, r.name());
                check(api.seccomp_rule_add_array(ctx, r.action(), nativeNr, r.conds().size(), args), "seccomp_rule_add_array " + r);
            }
            return export(api, ctx);
        } finally {
            api.seccomp_release(ctx);
        }
    }

    private static Program export(Api api, Pointer ctx) {
        LibC c = Holder.LIBC;
        int fd = c.memfd_create("tether-libseccomp-oracle", MFD_CLOEXEC);
        if (fd < 0) {
            throw new IllegalStateException("memfd_create failed: errno " + Native.getLastError());
        }
        try {
            check(api.seccomp_export_bpf(ctx, fd), "seccomp_export_bpf");
            long size = c.lseek(fd, 0, SEEK_END); // the program's size in bytes
            if (size <= 0 || size % 8 != 0 || c.lseek(fd, 0, SEEK_SET) != 0) {
                throw new IllegalStateException("seccomp_export_bpf wrote " + size + " bytes, not a whole number of sock_filters");
            }
            Memory m = new Memory(size);
            long got = c.read(fd, m, size);
            if (got != size) {
                throw new IllegalStateException("read " + got + " of " + size + " bytes of the exported program");
            }
            // sock_filter in host byte order: the tests run on little-endian amd64/arm64 hosts
            return Program.fromBytes(m.getByteArray(0, (int) size), ByteOrder.nativeOrder());
        } finally {
            c.close(fd);
        }
    }

    private static void check(int rc, String call) {
        if (rc < 0) {
            throw new IllegalStateException(call + " failed: " + rc + " (-errno)");
        }
    }
}
