package dev.tether.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * x86-64 guest code that reads vector state a fresh guest thread must find in its initial state (zero):
 * what its stub thread inherited from the JVM thread the stub was cloned from must not reach a guest.
 * Each program leaves what it read, OR-ed, in rdi, rsi and rdx, the first three system call arguments.
 */
final class VectorStateProbe {
    private VectorStateProbe() {
    }

    /**
     * The upper 128 bits of YMM0..15, OR-ed, into rdi:rsi (GNU as 2.40 output of: {@code vextractf128
     * $1,%ymmN,%xmmN} for N = 0..15; {@code vpor %xmmN,%xmm0,%xmm0} for N = 1..15; {@code vmovq
     * %xmm0,%rdi}; {@code vpextrq $1,%xmm0,%rsi}). vzeroupper, which HotSpot's compiled code runs before
     * it calls out, clears exactly these, so a JVM thread rarely holds anything there.
     */
    static final String YMM_UPPER = "c4e37d19c001c4e37d19c901c4e37d19d201c4e37d19db01c4e37d19e401c4e37d19ed01"
            + "c4e37d19f601c4e37d19ff01c4437d19c001c4437d19c901c4437d19d201c4437d19db01c4437d19e401c4437d19ed01"
            + "c4437d19f601c4437d19ff01c5f9ebc1c5f9ebc2c5f9ebc3c5f9ebc4c5f9ebc5c5f9ebc6c5f9ebc7c4c179ebc0c4c179ebc1"
            + "c4c179ebc2c4c179ebc3c4c179ebc4c4c179ebc5c4c179ebc6c4c179ebc7c4e1f97ec7c4e3f916c601";

    /**
     * AVX-512 state that vzeroupper leaves alone: ZMM16..31 (all 512 bits) OR-ed into rdi:rsi, and the
     * opmask registers k1..k7 OR-ed into rdx (GNU as 2.40 output of: {@code vporq %zmmN,%zmm16,%zmm16}
     * for N = 17..31; {@code vextracti64x4 $1,%zmm16,%ymm17}; {@code vporq %ymm17,%ymm16,%ymm16};
     * {@code vextracti32x4 $1,%ymm16,%xmm17}; {@code vporq %xmm17,%xmm16,%xmm16}; {@code vmovq
     * %xmm16,%rdi}; {@code vpextrq $1,%xmm16,%rsi}; {@code xor %edx,%edx}; {@code kmovw %kN,%eax; or
     * %rax,%rdx} for N = 1..7).
     */
    static final String AVX512_HIGH = "62a1fd40ebc162a1fd40ebc262a1fd40ebc362a1fd40ebc462a1fd40ebc562a1fd40ebc6"
            + "62a1fd40ebc76281fd40ebc06281fd40ebc16281fd40ebc26281fd40ebc36281fd40ebc46281fd40ebc56281fd40ebc6"
            + "6281fd40ebc762a3fd483bc10162a1fd20ebc162a37d2839c10162a1fd00ebc162e1fd087ec762e3fd0816c60131d2"
            + "c5f893c14809c2c5f893c24809c2c5f893c34809c2c5f893c44809c2c5f893c54809c2c5f893c64809c2c5f893c74809c2";

    static boolean hostHas(String flag) {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                .filter(l -> l.startsWith("flags"))
                .anyMatch(l -> Arrays.asList(l.substring(l.indexOf(':') + 1).trim().split(" ")).contains(flag));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The probes this host can run, by what they read: none on arm64 or an x86-64 CPU without AVX. */
    static List<String[]> programs() {
        List<String[]> out = new ArrayList<>();
        if (GuestCode.AMD64 && hostHas("avx")) {
            out.add(new String[] {"YMM0-15's upper halves", YMM_UPPER});
            if (hostHas("avx512f")) {
                out.add(new String[] {"ZMM16-31 and k1-k7", AVX512_HIGH});
            }
        }
        return out;
    }

    static byte[] code(String hex) {
        return HexFormat.of().parseHex(hex);
    }
}
