package dev.byoos.artifact.service;

/**
 * A {@code build.completed} that claims more than its producer may: a build nobody requested,
 * coordinates that contradict the request, or objects outside the build's own staging prefix.
 * Poison: dead-lettered with this reason, and nothing is promoted, signed or recorded.
 */
public class UntrustedEventException extends RuntimeException {

    public static final String UNKNOWN_BUILD = "UNKNOWN_BUILD";
    public static final String BUILD_CONTRADICTS_RECORD = "BUILD_CONTRADICTS_RECORD";
    public static final String FOREIGN_BUCKET = "FOREIGN_BUCKET";
    public static final String KEY_OUTSIDE_BUILD_PREFIX = "KEY_OUTSIDE_BUILD_PREFIX";
    public static final String FOREIGN_EDGE_IMAGE = "FOREIGN_EDGE_IMAGE";

    private final String code;

    public UntrustedEventException(String code, String reason) {
        super(code + ": " + reason);
        this.code = code;
    }

    public String code() {
        return code;
    }
}
