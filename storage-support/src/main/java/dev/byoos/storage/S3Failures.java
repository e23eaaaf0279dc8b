package dev.byoos.storage;

import java.io.IOException;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.minio.errors.ErrorResponseException;
import io.minio.errors.InvalidResponseException;
import io.minio.errors.ServerException;

/**
 * What an S3 call's failure means for the work that met it, the same for every service: the object
 * is not there ({@link Kind#ABSENT}), S3 is out for now and the work should wait
 * ({@link Kind#OUTAGE}: no connection, 5xx, 408, 429 and the throttling codes), or S3 refuses the
 * request for good and waiting cannot help ({@link Kind#PERMANENT}: AccessDenied, NoSuchBucket,
 * InvalidBucketName, InvalidAccessKeyId, SignatureDoesNotMatch, any other 4xx, a bucket name the
 * client refuses before sending). Retrying a permanent error forever would block a partition behind
 * a misconfigured bucket while it looks like an outage; failing an outage at once would lose work
 * that succeeds a minute later.
 */
public final class S3Failures {

    /** Deep enough for any wrapping seen in practice, bounded against cause loops. */
    private static final int MAX_DEPTH = 16;
    /** "The key does not exist": the answer to a question, not a failure of S3. */
    private static final Set<String> ABSENT_CODES = Set.of("NoSuchKey", "NoSuchObject");
    /** Codes that say "not now" whatever status carries them (S3, MinIO, S3-compatible stores). */
    private static final Set<String> OUTAGE_CODES = Set.of("SlowDown", "Throttling", "ThrottlingException",
            "RequestLimitExceeded", "TooManyRequests", "RequestTimeout", "ServiceUnavailable", "InternalError",
            "OperationAborted", "XMinioServerNotInitialized");
    /** MinIO's message for an error response without an XML body: the status is only in the text. */
    private static final Pattern NON_XML_STATUS = Pattern.compile("Response code: (\\d{3})");

    private S3Failures() {
    }

    public enum Kind {
        ABSENT, OUTAGE, PERMANENT
    }

    /**
     * @param code   S3's error code ({@code AccessDenied}), or what stands for it when S3 gave none:
     *               {@code ConnectionFailed}, {@code HTTP 503}, {@code InvalidArgument}
     * @param status the HTTP status, 0 when there was no response
     * @param detail S3's or the client's message
     */
    public record S3Failure(Kind kind, String code, int status, String detail) {

        public boolean outage() {
            return kind == Kind.OUTAGE;
        }

        public boolean permanent() {
            return kind == Kind.PERMANENT;
        }

        /** {@code AccessDenied (HTTP 403): Access Denied}: for a failure's reason. */
        public String describe() {
            return code + (status > 0 && !code.equals("HTTP " + status) ? " (HTTP " + status + ")" : "")
                    + (detail == null || detail.isBlank() ? "" : ": " + detail);
        }
    }

    /** Sorts {@code failure}, as thrown by a MinIO client call (or wrapping one), into absent, outage or permanent. */
    public static S3Failure classify(Throwable failure) {
        Throwable current = failure;
        for (int depth = 0; current != null && depth < MAX_DEPTH; depth++) {
            if (current instanceof ErrorResponseException error) {
                int status = error.response() == null ? 0 : error.response().code();
                String code = error.errorResponse().code();
                return byCode(code == null || code.isBlank() ? "HTTP " + status : code, status,
                        error.errorResponse().message());
            }
            if (current instanceof ServerException server) {
                return byCode("HTTP " + server.statusCode(), server.statusCode(), server.getMessage());
            }
            if (current instanceof InvalidResponseException invalid) {
                Matcher status = NON_XML_STATUS.matcher(String.valueOf(invalid.getMessage()));
                int code = status.find() ? Integer.parseInt(status.group(1)) : 0;
                return byCode("HTTP " + code, code, invalid.getMessage());
            }
            if (current instanceof IOException io) {
                // No answer at all: refused, reset, timed out, a name that does not resolve.
                return new S3Failure(Kind.OUTAGE, "ConnectionFailed", 0, io.getClass().getSimpleName() + ": "
                        + io.getMessage());
            }
            if (current instanceof IllegalArgumentException invalid) {
                // The client checks bucket and object names before sending; such a name never works.
                return new S3Failure(Kind.PERMANENT, "InvalidArgument", 0, invalid.getMessage());
            }
            current = current.getCause();
        }
        return new S3Failure(Kind.PERMANENT, failure.getClass().getSimpleName(), 0, failure.getMessage());
    }

    private static S3Failure byCode(String code, int status, String detail) {
        if (ABSENT_CODES.contains(code)) {
            return new S3Failure(Kind.ABSENT, code, status, detail);
        }
        boolean outage = OUTAGE_CODES.contains(code) || status >= 500 || status == 408 || status == 429;
        return new S3Failure(outage ? Kind.OUTAGE : Kind.PERMANENT, code, status, detail);
    }
}
