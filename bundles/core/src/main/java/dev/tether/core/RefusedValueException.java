package dev.tether.core;

/**
 * A configuration value (PID {@value StubPlatformComponent#PID}) the platform cannot use: the
 * property, the value as configured, and why. Its message, {@code key=value: reason}, is what
 * the log line, the health check and {@code tether:info} say after "configuration refused: ".
 */
public final class RefusedValueException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    /** Longer values are cut in messages: a line in a log, not a dump of what was pasted. */
    private static final int SHOWN = 120;

    private final String key;
    private final String value;
    private final String reason;

    public RefusedValueException(String key, Object value, String reason) {
        super(key + "=" + shown(value) + ": " + reason);
        this.key = key;
        this.value = shown(value);
        this.reason = reason;
    }

    /**
     * A change of several settings refused together ({@code setting} is {@code key=value, ...}),
     * e.g. a replacement a fail-stop platform cannot allow.
     */
    public RefusedValueException(String setting, String reason) {
        super(setting + ": " + reason);
        int eq = setting.indexOf('=');
        this.key = eq < 0 ? setting : setting.substring(0, eq);
        this.value = eq < 0 ? "" : setting.substring(eq + 1);
        this.reason = reason;
    }

    /** The configuration property, e.g. {@code failureMode}. */
    public String key() {
        return key;
    }

    /** The value as configured (cut at 120 characters). */
    public String value() {
        return value;
    }

    /** Why it was refused, e.g. {@code must be 1..64}. */
    public String reason() {
        return reason;
    }

    static String shown(Object value) {
        String s = value instanceof Object[] ? java.util.Arrays.toString((Object[]) value) : String.valueOf(value);
        return s.length() > SHOWN ? s.substring(0, SHOWN) + "... (" + s.length() + " characters)" : s;
    }
}
