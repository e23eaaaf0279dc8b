package dev.byoos.artifact.storage;

import java.util.Set;

import io.minio.errors.ErrorResponseException;

/**
 * Which S3 error responses are an outage (waited out) and which are permanent (the build fails at
 * once): connection failures, 5xx and throttling pass; access denied, a missing or invalid bucket,
 * bad credentials and every other 4xx do not, however long one waits.
 */
public final class S3Failures {

    /**
     * Codes that say "not now" whatever status carries them (the same list as build-worker's shared
     * classifier in storage-support), and a conditional request whose object changed after it was
     * measured: this service's copy is conditional on the measured ETag, and the retry measures again.
     */
    private static final Set<String> TRANSIENT_CODES = Set.of("SlowDown", "Throttling", "ThrottlingException",
            "RequestLimitExceeded", "TooManyRequests", "RequestTimeout", "ServiceUnavailable", "InternalError",
            "OperationAborted", "XMinioServerNotInitialized", "PreconditionFailed");
    private static final Set<Integer> TRANSIENT_STATUSES = Set.of(408, 412, 429);

    private S3Failures() {
    }

    /** @return whether retrying {@code failure}'s request later may succeed */
    public static boolean isTransient(ErrorResponseException failure) {
        int status = failure.response() == null ? 0 : failure.response().code();
        String code = failure.errorResponse() == null ? null : failure.errorResponse().code();
        return isTransient(status, code);
    }

    /** @param status the HTTP status (0 when unknown); @param code S3's error code (null when none) */
    static boolean isTransient(int status, String code) {
        if (code != null && TRANSIENT_CODES.contains(code)) {
            return true;
        }
        return status == 0 || status >= 500 || TRANSIENT_STATUSES.contains(status);
    }
}
