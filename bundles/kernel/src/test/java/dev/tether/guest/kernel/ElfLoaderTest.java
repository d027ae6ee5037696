package dev.tether.guest.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tether.abi.Mman;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loading real static programs into in-memory guest memory: segments, bss and protections against
 * readelf's view, and the initial stack read back byte by byte, its auxv order and string layout checked
 * against what this host's kernel gives a natively run static program.
 */
class ElfLoaderTest {
    @TempDir
    static Path dir;

    static final byte[] RANDOM = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    static final List<String> ARGV = List.of("prog", "a", "bc");
    static final List<String> ENVP = List.of("K=V", "X=YZ");

    record Loaded(KernelFixture k, ElfFile elf, LoadedProgram p) {
    }

    static Loaded load(Path program, long hwcap2) throws Exception {
        KernelFixture k = new KernelFixture(List.of());
        ElfFile elf = ElfFile.parse(program.toString(), Files.readAllBytes(program));
        ProgramSetup setup = new ProgramSetup(ARGV, ENVP, "/guest/prog", RANDOM, 0xbfebfbffL, hwcap2,
                new int[] {1000, 1001, 2000, 2001});
        return new Loaded(k, elf, k.kernel.load(k.process, k.memory, elf, setup));
    }

    @Test
    void staticExecutableSegmentsAreTheFilesBytesWithZeroBssAndTheirProtection() throws Exception {
        Path p = GccPrograms.build(dir, "hello", GccPrograms.HELLO, "-static");
        Loaded l = load(p, 0);
        byte[] file = Files.readAllBytes(p);
        assertEquals(0, l.p().loadBias());
        long end = 0;
        for (GccPrograms.Load s : GccPrograms.readelfLoads(p)) {
            byte[] inMemory = l.k().peek(s.vaddr(), (int) s.filesz());
            assertArrayEquals(Arrays.copyOfRange(file, (int) s.offset(), (int) (s.offset() + s.filesz())), inMemory,
                    "LOAD at " + Long.toHexString(s.vaddr()));
            byte[] bss = l.k().peek(s.vaddr() + s.filesz(), (int) (s.memsz() - s.filesz()));
            assertArrayEquals(new byte[bss.length], bss, "bss of LOAD at " + Long.toHexString(s.vaddr()));
            int prot = (s.flags().charAt(0) == 'R' ? Mman.PROT_READ : 0) | (s.flags().charAt(1) == 'W' ? Mman.PROT_WRITE : 0)
                    | (s.flags().charAt(2) == 'E' ? Mman.PROT_EXEC : 0);
            assertEquals(prot, l.k().memory.protection(s.vaddr() + s.memsz() - 1), "protection of " + s);
            end = Math.max(end, s.vaddr() + s.memsz());
        }
        assertEquals((end + 4095) & ~4095L, l.p().brkStart());
        assertEquals(l.p().brkStart(), l.k().call("brk", 0));
        // /proc/self/exe names the program, and the task is named after it
        long buf = l.k().buffer(64);
        assertEquals(11, l.k().call("readlink", l.k().string("/proc/self/exe"), buf, 64));
        assertEquals("/guest/prog", l.k().text(buf, 11));
        assertEquals(0, l.k().call("prctl", 16, buf));
        assertEquals("prog\0", l.k().text(buf, 5));
        assertEquals(l.elf().entry(), l.p().entry());
    }

    @Test
    void staticPieIsPlacedAtABiasAndRelocatesNothingItself() throws Exception {
        Path p = GccPrograms.build(dir, "hello-pie", GccPrograms.HELLO, "-static-pie");
        Loaded l = load(p, 0);
        long bias = l.p().loadBias();
        assertNotEquals(0, bias);
        assertEquals(0, bias % 4096);
        assertEquals(bias + l.elf().entry(), l.p().entry());
        byte[] file = Files.readAllBytes(p);
        GccPrograms.Load first = GccPrograms.readelfLoads(p).get(0);
        assertArrayEquals(Arrays.copyOfRange(file, 0, 64), l.k().peek(bias + first.vaddr(), 64), "the ELF header");
        assertPhdr(l, file);
        assertTrue(l.p().stackBottom() > l.p().brkStart(), "the stack lies above the image");
    }

    @Test
    void busyboxLoads() throws Exception {
        Loaded l = load(Path.of("/bin/busybox"), 0);
        assertEquals(Long.decode(GccPrograms.readelfHeader(Path.of("/bin/busybox"), "Entry point address")), l.p().entry());
        assertPhdr(l, Files.readAllBytes(Path.of("/bin/busybox")));
    }

    private static void assertPhdr(Loaded l, byte[] file) {
        long phdr = l.p().auxValue(Auxv.AT_PHDR);
        int n = (int) l.p().auxValue(Auxv.AT_PHNUM);
        int off = (int) l.elf().programHeaderOffset();
        assertArrayEquals(Arrays.copyOfRange(file, off, off + n * 56), l.k().peek(phdr, n * 56), "AT_PHDR's table");
    }

    @Test
    void theStackReadsBackAsArgcArgvEnvpAuxvAndStrings() throws Exception {
        Path p = GccPrograms.build(dir, "hello2", GccPrograms.HELLO, "-static");
        Loaded l = load(p, 0x2);
        LoadedProgram lp = l.p();
        KernelFixture k = l.k();
        long sp = lp.stackPointer();
        assertEquals(0, sp % 16, "16-byte aligned at entry");
        ByteBuffer s = k.le(sp, (int) (lp.stackTop() - sp));
        assertEquals(3, s.getLong(), "argc");
        List<Long> ptrs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ptrs.add(s.getLong());
        }
        assertEquals(0, s.getLong(), "argv NULL");
        for (int i = 0; i < 2; i++) {
            ptrs.add(s.getLong());
        }
        assertEquals(0, s.getLong(), "envp NULL");
        List<String> strings = new ArrayList<>(ARGV);
        strings.addAll(ENVP);
        long expectedAt = ptrs.get(0);
        for (int i = 0; i < ptrs.size(); i++) {
            assertEquals(expectedAt, ptrs.get(i), "strings are contiguous, argv then envp: " + strings.get(i));
            byte[] want = (strings.get(i) + "\0").getBytes(StandardCharsets.UTF_8);
            assertArrayEquals(want, k.peek(ptrs.get(i), want.length));
            expectedAt += want.length;
        }
        assertEquals(expectedAt, lp.execfnAddress(), "AT_EXECFN's string right after the environment");
        byte[] execfn = "/guest/prog\0".getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(execfn, k.peek(lp.execfnAddress(), execfn.length));
        assertEquals(lp.stackTop() - 8, lp.execfnAddress() + execfn.length, "one NULL word at the very top");
        assertArrayEquals(new byte[8], k.peek(lp.stackTop() - 8, 8));
        assertArrayEquals(RANDOM, k.peek(lp.randomAddress(), 16));
        assertTrue(lp.randomAddress() + 16 <= ptrs.get(0) && lp.randomAddress() % 16 == 0);

        // the auxiliary vector, read from memory, equals what the loader reports, AT_NULL last
        List<long[]> auxv = new ArrayList<>();
        long key;
        do {
            key = s.getLong();
            auxv.add(new long[] {key, s.getLong()});
        } while (key != Auxv.AT_NULL);
        assertEquals(lp.auxv().size(), auxv.size());
        for (int i = 0; i < auxv.size(); i++) {
            assertArrayEquals(lp.auxv().get(i), auxv.get(i));
        }
        Map<Integer, Long> expected = Map.ofEntries(Map.entry(Auxv.AT_PHENT, 56L), Map.entry(Auxv.AT_PAGESZ, 4096L),
                Map.entry(Auxv.AT_ENTRY, l.elf().entry()), Map.entry(Auxv.AT_UID, 1000L), Map.entry(Auxv.AT_EUID, 1001L),
                Map.entry(Auxv.AT_GID, 2000L), Map.entry(Auxv.AT_EGID, 2001L), Map.entry(Auxv.AT_SECURE, 0L),
                Map.entry(Auxv.AT_HWCAP, 0xbfebfbffL), Map.entry(Auxv.AT_HWCAP2, 2L), Map.entry(Auxv.AT_CLKTCK, 100L),
                Map.entry(Auxv.AT_RANDOM, lp.randomAddress()), Map.entry(Auxv.AT_EXECFN, lp.execfnAddress()),
                Map.entry(Auxv.AT_PHNUM, (long) l.elf().programHeaders().size()), Map.entry(Auxv.AT_BASE, 0L));
        expected.forEach((k2, v) -> assertEquals(v, lp.auxValue(k2), "auxv " + k2));
        assertEquals(-1, lp.auxValue(Auxv.AT_SYSINFO_EHDR), "no vDSO");
        assertPhdr(l, Files.readAllBytes(p));
        assertEquals(Mman.PROT_READ | Mman.PROT_WRITE, k.memory.protection(sp));
    }

    @Test
    void hwcap2IsThereEvenWhenZero() throws Exception {
        Loaded l = load(GccPrograms.build(dir, "hello3", GccPrograms.HELLO, "-static"), 0);
        assertEquals(0, l.p().auxValue(Auxv.AT_HWCAP2), "create_elf_tables emits it whenever the arch defines ELF_HWCAP2");
    }

    /**
     * The kernel's own order and layout: a static program run natively on this host prints its auxv keys
     * and where its strings are. Ours must be the kernel's order less what this kernel does not give
     * (the vDSO, the platform strings, the rseq and signal-stack facts), with the same string layout.
     */
    @Test
    void auxvOrderAndStringLayoutMatchTheHostKernel() throws Exception {
        Path p = GccPrograms.build(dir, "auxv", GccPrograms.AUXV_DUMP, "-static");
        ProcessBuilder pb = new ProcessBuilder(p.toString(), "a", "bc");
        pb.environment().clear();
        pb.environment().putAll(Map.of("K", "V"));
        Process native_ = pb.start();
        List<String> lines = new String(native_.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        assertEquals(0, native_.waitFor());
        List<Long> nativeKeys = lines.stream().filter(x -> x.startsWith("aux ")).map(x -> Long.parseLong(x.substring(4)))
                .toList();
        Loaded l = load(p, 0);
        List<Long> ours = l.p().auxv().stream().map(kv -> kv[0]).filter(x -> x != Auxv.AT_NULL).toList();
        // AT_SYSINFO_EHDR, AT_PLATFORM, AT_BASE_PLATFORM (24), AT_RSEQ_FEATURE_SIZE/ALIGN (27, 28),
        // AT_HWCAP3/4 (29, 30), AT_MINSIGSTKSZ (51): include/uapi/linux/auxvec.h
        Set<Long> notOurs = Set.of(33L, 15L, 24L, 27L, 28L, 29L, 30L, 51L);
        List<Long> nativeComparable = nativeKeys.stream().filter(x -> !notOurs.contains(x)).toList();
        assertEquals(nativeComparable, ours, "auxv keys in the kernel's order (native: " + nativeKeys + ")");
        List<Long> offsets = lines.stream().filter(x -> x.startsWith("str ")).map(x -> Long.parseLong(x.substring(4)))
                .toList();
        // native: argv[0] = the path, "a", "bc", "K=V", then AT_EXECFN = the path again
        String path = p.toString();
        assertEquals(List.of(0L, (long) path.length() + 1, (long) path.length() + 3, (long) path.length() + 6,
                (long) path.length() + 10), offsets, "the kernel lays strings out as the loader does");
        assertTrue(lines.contains("sp 0"), "the kernel's entry stack pointer is 16-byte aligned too");
    }

    @Test
    void programsForAnotherMachineOrDynamicAreRefused() throws Exception {
        Path p = GccPrograms.build(dir, "hello4", GccPrograms.HELLO, "-static");
        byte[] b = Files.readAllBytes(p);
        int other = new KernelFixture(List.of()).abi.elfMachine() == 62 ? 183 : 62;
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putShort(18, (short) other);
        Path foreign = Files.write(dir.resolve("foreign"), b);
        GuestLoadException e = assertThrows(GuestLoadException.class, () -> load(foreign, 0));
        assertTrue(e.getMessage().contains("ELF machine " + other), e.getMessage());
        Path dyn = GccPrograms.build(dir, "hello-dyn", GccPrograms.HELLO);
        GuestLoadException d = assertThrows(GuestLoadException.class, () -> load(dyn, 0));
        assertTrue(d.getMessage().contains("dynamically linked (interpreter /lib"), d.getMessage());
        KernelFixture k = new KernelFixture(List.of());
        assertFalse(k.memory.mapped(0x400000), "a refused program maps nothing");
    }

    @Test
    void setupRejectsBadInput() {
        assertThrows(IllegalArgumentException.class, () -> new ProgramSetup(ARGV, ENVP, "/p", new byte[15], 0, 0,
                new int[4]));
        IllegalArgumentException nul = assertThrows(IllegalArgumentException.class,
                () -> new ProgramSetup(List.of("a\0b"), ENVP, "/p", RANDOM, 0, 0, new int[4]));
        assertTrue(nul.getMessage().contains("NUL"));
    }
}
