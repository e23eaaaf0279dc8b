package dev.byoos.spec.validation;

/**
 * One thing wrong with a submitted spec.
 *
 * @param pointer JSON pointer (RFC 6901) to the offending field, e.g. {@code /spec/targets/1/cloud}
 * @param code    stable machine-readable code, e.g. {@code UNKNOWN_FIELD}
 * @param message what is wrong and what is accepted, for a person
 */
public record Violation(String pointer, String code, String message) {

    public static final String MALFORMED_DOCUMENT = "MALFORMED_DOCUMENT";
    public static final String UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE";
    public static final String UNKNOWN_FIELD = "UNKNOWN_FIELD";
    public static final String REQUIRED = "REQUIRED";
    public static final String WRONG_TYPE = "WRONG_TYPE";
    public static final String INVALID_FORMAT = "INVALID_FORMAT";
    public static final String NOT_ALLOWED = "NOT_ALLOWED";
    public static final String DUPLICATE = "DUPLICATE";
    public static final String UNSAFE_PATH = "UNSAFE_PATH";
    public static final String TOO_LARGE = "TOO_LARGE";
    public static final String TARGET_NOT_BUILDABLE = "TARGET_NOT_BUILDABLE";
    public static final String UNSUPPORTED_VERSION = "UNSUPPORTED_VERSION";
    public static final String BASE_NOT_BUILDABLE = "BASE_NOT_BUILDABLE";
    public static final String HOST_NOT_ALLOWED = "HOST_NOT_ALLOWED";
    /** A new version of a spec renames its pack, or reuses a pack version another spec version published. */
    public static final String PACK_CONFLICT = "PACK_CONFLICT";
    /** The pack name (and with it the Edge image repository) belongs to another team, which used it first. */
    public static final String PACK_NAME_TAKEN = "PACK_NAME_TAKEN";
    /** A submitted event carries no credential, or one that does not verify. */
    public static final String UNAUTHENTICATED = "UNAUTHENTICATED";
    /** A submitted event's verified credential may not submit specs for the spec's team. */
    public static final String FORBIDDEN = "FORBIDDEN";
}
