package dev.tether.launcher;

import dev.tether.api.HostArch;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code --arch amd64|arm64}, default: the host's. */
final class ArchOption {
    @Option(names = "--arch", paramLabel = "ARCH", split = ",",
            description = "Target architecture: amd64 or arm64 (default: the host's). With --oci: a list of ABIs for one"
                    + " filter (amd64, x86, x32, arm64, arm), the first one native, e.g. amd64,x86,x32.")
    List<String> arches;

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    HostArch get() {
        if (arches == null) {
            return SeccompSupport.hostArch();
        }
        if (arches.size() > 1) {
            throw new ParameterException(mixee.commandLine(), "Invalid value for option '--arch': " + String.join(",", arches)
                    + " (several architectures need --oci)");
        }
        try {
            return HostArch.valueOf(arches.get(0));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(mixee.commandLine(), "Invalid value for option '--arch': " + arches.get(0)
                    + " (expected amd64 or arm64; x86, x32 and arm with --oci)");
        }
    }

    /** The list given, or empty. */
    List<String> list() {
        return arches == null ? List.of() : arches;
    }
}
