package dev.tether.bench;

import dev.tether.abi.Mman;
import dev.tether.api.Subprocess;
import dev.tether.core.StubPlatformImpl;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The stub platform's operations under JMH, one method per {@code tether bench} op (same names,
 * same timed regions), sampled ({@link Mode#SampleTime}) so that JMH reports percentiles. The
 * platform is built directly on the flat class path ({@link Platforms}): contained, two tracer
 * threads, a pool of {@value Platforms#POOL_SIZE} with {@value Platforms#PREFORK} pre-forked. The
 * forked JVM runs G1, as the launcher does, on a fixed, pre-touched 256 MiB heap (so host_stub
 * copies the page tables of a JVM of a known size).
 *
 * <p>One difference: JMH has no fresh thread per invocation, so in new_thread and new_thread_sync
 * the new caller is the benchmark thread and the subprocess is fresh (forked untimed); for
 * new_thread a helper thread has called it first, so that its owner has a spare stub thread ready.
 *
 * <p>Every benchmark thread that traces stub threads lives for the whole trial (JMH's worker
 * threads do), and every subprocess is destroyed by the thread that made it before the trial
 * ends: a tracer thread must outlive its tracees (PTRACE_O_EXITKILL).
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 1, time = 1)
@Measurement(iterations = 1, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseG1GC", "-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch"})
@State(Scope.Benchmark)
public class StubBenchmarks {
    static final long MEM_ADDRESS = 0x10000000L;
    static final int MIB = 1 << 20;

    StubPlatformImpl platform;
    int getpid;

    @Setup(Level.Trial)
    public void start() {
        platform = Platforms.create();
        getpid = platform.syscallNumber("getpid");
    }

    @TearDown(Level.Trial)
    public void stop() {
        platform.close();
    }

    /** A subprocess of the benchmark thread, its stub thread made, 1 MiB mapped and written. */
    @State(Scope.Thread)
    public static class Sub {
        Subprocess s;
        byte[] pattern = new byte[MIB];
        byte[] into = new byte[MIB];

        @Setup(Level.Trial)
        public void fork(StubBenchmarks b) {
            s = b.platform.forkSubprocess();
            s.mapAnonymous(MEM_ADDRESS, MIB, Mman.PROT_READ | Mman.PROT_WRITE);
            new SplittableRandom(42).nextBytes(pattern);
            s.write(MEM_ADDRESS, pattern, 0, MIB);
        }

        @TearDown(Level.Trial)
        public void destroy() {
            if (s.alive()) { // JMH may close the platform (which destroys it) first
                s.destroy();
            }
        }
    }

    /** A fresh subprocess per invocation that this thread has never called (no stub thread of ours yet). */
    @State(Scope.Thread)
    public static class Fresh {
        Subprocess s;

        @Setup(Level.Invocation)
        public void fork(StubBenchmarks b) {
            s = b.platform.forkSubprocess();
        }

        @TearDown(Level.Invocation)
        public void destroy() {
            s.destroy();
        }
    }

    /**
     * A fresh subprocess per invocation that another (helper) thread has called once, so that its
     * owner has a spare stub thread ready for the next new caller: this thread.
     */
    @State(Scope.Thread)
    public static class Served {
        Subprocess s;
        CountDownLatch release;
        Thread helper;

        @Setup(Level.Invocation)
        public void fork(StubBenchmarks b) throws InterruptedException {
            s = b.platform.forkSubprocess();
            release = new CountDownLatch(1);
            CountDownLatch called = new CountDownLatch(1);
            Subprocess sp = s;
            CountDownLatch r = release;
            helper = new Thread(() -> {
                sp.registers();
                called.countDown();
                // It traces a stub thread of sp: stay alive until sp is destroyed.
                while (true) {
                    try {
                        r.await();
                        return;
                    } catch (InterruptedException e) {
                        // keep waiting
                    }
                }
            }, "bench-helper");
            helper.setDaemon(true);
            helper.start();
            called.await();
            LockSupport.parkNanos(200_000); // the owner clones the spare in the background
        }

        @TearDown(Level.Invocation)
        public void destroy() throws InterruptedException {
            s.destroy();
            release.countDown();
            helper.join();
        }
    }

    /** A subprocess made untimed and destroyed untimed, around a timed fork or acquisition. */
    @State(Scope.Thread)
    public static class Made {
        Subprocess s;

        @TearDown(Level.Invocation)
        public void destroy() {
            s.destroy();
        }
    }

    /** 1 MiB of anonymous memory mapped (untimed) in the thread's subprocess, for unmap. */
    @State(Scope.Thread)
    public static class Mapped {
        static final long AT = MEM_ADDRESS + 2L * MIB;
        Sub sub;

        @Setup(Level.Invocation)
        public void map(Sub s) {
            sub = s;
            s.s.mapAnonymous(AT, MIB, Mman.PROT_READ | Mman.PROT_WRITE);
        }
    }

    /** Waits (untimed) until the pool holds a pre-forked subprocess (it is refilled in batches). */
    @State(Scope.Thread)
    public static class PoolFull {
        @Setup(Level.Trial)
        public void prime(StubBenchmarks b) {
            b.platform.newSubprocess().destroy(); // starts the pre-forker
            awaitPool(b, Platforms.PREFORK);
        }

        @Setup(Level.Invocation)
        public void refill(StubBenchmarks b) {
            awaitPool(b, 1);
        }

        static void awaitPool(StubBenchmarks b, int n) {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (b.platform.subprocesses().size() < n && System.nanoTime() < end) {
                LockSupport.parkNanos(50_000);
            }
        }
    }

    /** A thread allocating garbage at full speed while the benchmark runs. */
    @State(Scope.Benchmark)
    public static class Garbage {
        volatile boolean stop;
        Thread thread;

        @Setup(Level.Trial)
        public void start() {
            thread = new Thread(() -> {
                Object[] live = new Object[4096];
                SplittableRandom r = new SplittableRandom(1);
                int i = 0;
                while (!stop) {
                    byte[] b = new byte[64 + r.nextInt(4096)];
                    b[0] = (byte) i;
                    if ((i++ & 15) == 0) {
                        live[r.nextInt(live.length)] = b;
                    }
                }
            }, "bench-garbage");
            thread.setDaemon(true);
            thread.start();
        }

        @TearDown(Level.Trial)
        public void stop() throws InterruptedException {
            stop = true;
            thread.join();
        }
    }

    @Benchmark
    public void host_stub() {
        platform.createStub().close();
    }

    @Benchmark
    public Subprocess fork(Made m) {
        return m.s = platform.forkSubprocess();
    }

    @Benchmark
    public Object new_thread(Served s) {
        return s.s.registers();
    }

    @Benchmark
    public Object new_thread_sync(Fresh f) {
        return f.s.registers();
    }

    @Benchmark
    public long inject(Sub s) {
        return s.s.syscall(getpid);
    }

    @Benchmark
    public long inject_alloc(Sub s, Garbage g) {
        return s.s.syscall(getpid);
    }

    @Benchmark
    public void unmap(Mapped m) {
        m.sub.s.unmap(Mapped.AT, MIB);
    }

    @Benchmark
    public byte[] mem_read_4k(Sub s) {
        s.s.read(MEM_ADDRESS, s.into, 0, 4096);
        return s.into;
    }

    @Benchmark
    public void mem_write_4k(Sub s) {
        s.s.write(MEM_ADDRESS, s.pattern, 0, 4096);
    }

    @Benchmark
    public byte[] mem_read_1m(Sub s) {
        s.s.read(MEM_ADDRESS, s.into, 0, MIB);
        return s.into;
    }

    @Benchmark
    public void mem_write_1m(Sub s) {
        s.s.write(MEM_ADDRESS, s.pattern, 0, MIB);
    }

    @Benchmark
    public Subprocess pool_acquire(PoolFull p, Made m) {
        return m.s = platform.newSubprocess();
    }

    /** One guest, its context at the start of its code (tether bench's guest_syscall ops). */
    @State(Scope.Thread)
    public static class Guest {
        final StubPlatformImpl[] platform = new StubPlatformImpl[1];
        dev.tether.guest.GuestAddressSpace space;
        dev.tether.guest.GuestContext context;
        long text;

        @Setup(Level.Trial)
        public void start() {
            dev.tether.guest.GuestPlatform guests = Platforms.guests(platform);
            space = guests.newAddressSpace();
            Subprocess sp = space.subprocess();
            byte[] code = Platforms.guestCode(platform[0]);
            text = sp.mapAnonymous(0, 4096, Mman.PROT_READ | Mman.PROT_WRITE | Mman.PROT_EXEC);
            sp.write(text, code, 0, code.length);
            context = space.newContext();
        }

        @TearDown(Level.Trial)
        public void stop() {
            space.close();
            platform[0].close();
        }

        Object roundTrip(boolean lazyFp) {
            context.setLazyFloatingPoint(lazyFp);
            context.setInstructionPointer(text);
            Object e = context.switchTo();
            context.setSyscallResult(0x4000_0000L);
            return e;
        }
    }

    @Benchmark
    public Object guest_syscall(Guest g) {
        return g.roundTrip(true);
    }

    @Benchmark
    public Object guest_syscall_fp(Guest g) {
        return g.roundTrip(false);
    }
}
