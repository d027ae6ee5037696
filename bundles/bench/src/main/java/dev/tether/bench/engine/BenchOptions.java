package dev.tether.bench.engine;

import java.util.ArrayList;
import java.util.List;

/** The command line of tether:bench. */
public final class BenchOptions {
    /** The guest platform of the guest ops when none is named. */
    public static final String DEFAULT_PLATFORM = "ptrace";
    private final List<String> ops;
    private final double seconds;
    private final String platform;

    BenchOptions(List<String> ops, double seconds, String platform) {
        this.ops = ops;
        this.seconds = seconds;
        this.platform = platform;
    }

    /** The guest platform ({@code tether.platform}) the guest ops run on: ptrace (default) or trap. */
    public String platform() {
        return platform;
    }

    /** The operations to run, in order. */
    public List<String> ops() {
        return ops;
    }

    /** Seconds of samples per operation. */
    public double seconds() {
        return seconds;
    }

    /** Parses {@code [--ops a,b] [--seconds N]}; bad input is an IllegalArgumentException naming it. */
    public static BenchOptions parse(String... args) {
        List<String> ops = new ArrayList<>(BenchEngine.OPS.keySet());
        double seconds = BenchEngine.DEFAULT_SECONDS;
        String platform = DEFAULT_PLATFORM;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                value = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            if (!a.equals("--ops") && !a.equals("--seconds") && !a.equals("--platform")) {
                throw new IllegalArgumentException("tether:bench: unknown argument '" + args[i]
                        + "' (usage: tether:bench [--ops a,b,...] [--seconds N] [--platform ptrace|trap] | --list)");
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("tether:bench: " + a + " needs a value");
                }
                value = args[++i];
            }
            if (a.equals("--platform")) {
                if (!value.matches("[a-z0-9]+")) {
                    throw new IllegalArgumentException("tether:bench: --platform takes a guest platform's name (ptrace, trap), got '"
                            + value + "'");
                }
                platform = value;
            } else if (a.equals("--ops")) {
                ops = new ArrayList<>();
                for (String op : value.split(",")) {
                    String name = op.trim();
                    if (name.isEmpty()) {
                        continue;
                    }
                    if (!BenchEngine.OPS.containsKey(name) && !BenchEngine.ALIASES.containsKey(name)) {
                        throw new IllegalArgumentException("tether:bench: unknown op '" + name + "'; the ops are "
                                + String.join(", ", BenchEngine.OPS.keySet()));
                    }
                    ops.add(name);
                }
                if (ops.isEmpty()) {
                    throw new IllegalArgumentException("tether:bench: --ops names no op; the ops are "
                            + String.join(", ", BenchEngine.OPS.keySet()));
                }
            } else {
                try {
                    seconds = Double.parseDouble(value);
                } catch (NumberFormatException e) {
                    seconds = Double.NaN;
                }
                if (!(seconds > 0 && seconds <= 3600)) {
                    throw new IllegalArgumentException("tether:bench: --seconds must be a number in (0, 3600], got '"
                            + value + "'");
                }
            }
        }
        return new BenchOptions(List.copyOf(ops), seconds, platform);
    }
}
