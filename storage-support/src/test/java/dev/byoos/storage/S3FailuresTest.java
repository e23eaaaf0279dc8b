package dev.byoos.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.UncheckedIOException;
import java.net.ConnectException;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import io.minio.errors.ErrorResponseException;
import io.minio.errors.InvalidResponseException;
import io.minio.errors.ServerException;
import io.minio.messages.ErrorResponse;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;

class S3FailuresTest {

    @ParameterizedTest(name = "{0} with HTTP {1} is {2}")
    @CsvSource({
        "NoSuchKey, 404, ABSENT",
        "AccessDenied, 403, PERMANENT",
        "NoSuchBucket, 404, PERMANENT",
        "InvalidBucketName, 400, PERMANENT",
        "InvalidAccessKeyId, 403, PERMANENT",
        "SignatureDoesNotMatch, 403, PERMANENT",
        "EntityTooLarge, 400, PERMANENT",
        "SlowDown, 503, OUTAGE",
        "SlowDown, 400, OUTAGE",
        "RequestTimeout, 408, OUTAGE",
        "TooManyRequests, 429, OUTAGE",
        "InternalError, 500, OUTAGE",
        "ServiceUnavailable, 503, OUTAGE",
        "SomethingNew, 502, OUTAGE",
        "SomethingNew, 409, PERMANENT"
    })
    void anErrorResponseIsSortedByItsCodeAndStatus(String code, int status, S3Failures.Kind kind) {
        S3Failures.S3Failure failure = S3Failures.classify(errorResponse(code, status));
        assertEquals(kind, failure.kind());
        assertEquals(code, failure.code());
        assertEquals(status, failure.status());
    }

    @Test
    void noConnectionIsAnOutageWhereverItIsWrapped() {
        S3Failures.S3Failure failure = S3Failures.classify(
                new IllegalStateException("upload failed", new ConnectException("Connection refused")));
        assertEquals(S3Failures.Kind.OUTAGE, failure.kind());
        assertEquals("ConnectionFailed", failure.code());
        assertEquals(S3Failures.Kind.OUTAGE,
                S3Failures.classify(new UncheckedIOException(new java.io.IOException("reset"))).kind());
    }

    @Test
    void aResponseWithoutAnXmlBodyIsSortedByItsStatus() {
        assertEquals(S3Failures.Kind.OUTAGE, S3Failures.classify(new ServerException("bad gateway", 502, "")).kind());
        assertEquals(S3Failures.Kind.OUTAGE,
                S3Failures.classify(new InvalidResponseException(503, "text/html", "<html/>", "")).kind());
        S3Failures.S3Failure forbidden = S3Failures.classify(new InvalidResponseException(403, "text/html", "<html/>", ""));
        assertEquals(S3Failures.Kind.PERMANENT, forbidden.kind());
        assertEquals("HTTP 403", forbidden.code());
    }

    @Test
    void aNameTheClientRefusesIsPermanentAndUnknownFailuresAreNotWaitedFor() {
        assertEquals(S3Failures.Kind.PERMANENT,
                S3Failures.classify(new IllegalArgumentException("bucket name 'A_B' does not follow S3 rules")).kind());
        assertEquals(S3Failures.Kind.PERMANENT, S3Failures.classify(new IllegalStateException("odd")).kind());
    }

    @Test
    void theDescriptionNamesTheCodeTheStatusAndTheMessage() {
        assertEquals("AccessDenied (HTTP 403): Access Denied.",
                S3Failures.classify(errorResponse("AccessDenied", 403)).describe());
    }

    private static ErrorResponseException errorResponse(String code, int status) {
        Response response = new Response.Builder().request(new Request.Builder().url("http://s3.test/bucket/key").build())
                .protocol(Protocol.HTTP_1_1).code(status).message("status " + status).build();
        return new ErrorResponseException(new ErrorResponse(code, code.equals("AccessDenied") ? "Access Denied." : "m",
                "bucket", "key", "resource", "request", "host"), response, "");
    }
}
