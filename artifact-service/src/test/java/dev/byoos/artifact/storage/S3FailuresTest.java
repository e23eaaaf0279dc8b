package dev.byoos.artifact.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.errors.ErrorResponseException;
import io.minio.messages.ErrorResponse;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;

import dev.byoos.artifact.storage.ArtifactStore.StorageRefusedException;
import dev.byoos.artifact.storage.ArtifactStore.StorageUnavailableException;
import dev.byoos.messaging.resilience.DependencyFailures;
import dev.byoos.testsupport.Endpoints;
import dev.byoos.testsupport.TestStack;

/**
 * What the test stack's real S3 answers, sorted: refusals that repeat (bad credentials, a missing or
 * invalid bucket) are final and name the bucket, key and S3 code; an S3 that is down is an outage.
 */
class S3FailuresTest {

    private final Endpoints endpoints = TestStack.endpoints();

    @Test
    void badCredentialsAMissingBucketAndAnInvalidBucketNameAreRefusedForGoodNamingBucketKeyAndCode() throws Exception {
        String key = "builds/" + UUID.randomUUID() + "/attempt-1/disk.qcow2";
        byte[] content = "staged\n".getBytes(StandardCharsets.UTF_8);
        client(endpoints.s3SecretKey()).putObject(PutObjectArgs.builder().bucket(endpoints.s3StagingBucket())
                .object(key).stream(new ByteArrayInputStream(content), content.length, -1).build());

        StorageRefusedException badSecret = assertThrows(StorageRefusedException.class,
                () -> store("not-the-secret").measure(endpoints.s3StagingBucket(), key));
        assertRefusal(badSecret, endpoints.s3StagingBucket() + "/" + key);

        // A HEAD has no body to name the missing bucket (it reads as a missing object); a write does.
        String missingBucket = "byoos-missing-" + UUID.randomUUID().toString().substring(0, 8);
        StorageRefusedException noBucket = assertThrows(StorageRefusedException.class,
                () -> store(endpoints.s3SecretKey(), missingBucket).put("provenance/x.intoto.json", content));
        assertEquals("NoSuchBucket", noBucket.s3Code());
        assertRefusal(noBucket, missingBucket + "/provenance/x.intoto.json");

        StorageRefusedException invalidName = assertThrows(StorageRefusedException.class,
                () -> store(endpoints.s3SecretKey()).measure("Invalid_Bucket!", key));
        assertEquals("InvalidBucketName", invalidName.s3Code());
        assertRefusal(invalidName, "Invalid_Bucket!/" + key);
    }

    @Test
    void anS3ThatIsDownIsAnOutage() throws Exception {
        String key = "builds/" + UUID.randomUUID() + "/attempt-1/disk.qcow2";
        try (AutoCloseable outage = TestStack.s3Outage()) {
            StorageUnavailableException down = assertThrows(StorageUnavailableException.class,
                    () -> store(endpoints.s3SecretKey()).measure(endpoints.s3StagingBucket(), key));
            assertTrue(DependencyFailures.isTransient(down));
        }
    }

    @Test
    void serverErrorsThrottlingTimeoutsAndAChangedObjectPassEveryOtherClientErrorIsPermanent() {
        assertTrue(ArtifactStore.mayPass(refusal(500, "InternalError")));
        assertTrue(ArtifactStore.mayPass(refusal(503, "SlowDown")));
        assertTrue(ArtifactStore.mayPass(refusal(429, "TooManyRequests")));
        assertTrue(ArtifactStore.mayPass(refusal(412, "PreconditionFailed")), "the object changed: measured again");
        assertFalse(ArtifactStore.mayPass(refusal(403, "AccessDenied")));
        assertFalse(ArtifactStore.mayPass(refusal(404, "NoSuchBucket")));
        assertFalse(ArtifactStore.mayPass(refusal(403, "SignatureDoesNotMatch")));
        assertFalse(ArtifactStore.mayPass(refusal(400, "EntityTooLarge")));
    }

    private static ErrorResponseException refusal(int status, String code) {
        Response response = new Response.Builder()
                .request(new Request.Builder().url("http://s3.test/bucket/key").build())
                .protocol(Protocol.HTTP_1_1).code(status).message("status " + status).build();
        return new ErrorResponseException(new ErrorResponse(code, "m", "bucket", "key", "resource", "request", "host"),
                response, "");
    }

    private static void assertRefusal(StorageRefusedException refused, String location) {
        assertFalse(DependencyFailures.isTransient(refused), "never waited out");
        assertTrue(refused.getMessage().contains(location), refused::getMessage);
        assertTrue(refused.getMessage().contains(refused.s3Code()), refused::getMessage);
    }

    private ArtifactStore store(String secretKey) {
        return store(secretKey, endpoints.s3ArtifactsBucket());
    }

    private ArtifactStore store(String secretKey, String artifactsBucket) {
        return new ArtifactStore(client(secretKey), client(secretKey), artifactsBucket);
    }

    private MinioClient client(String secretKey) {
        return MinioClient.builder().endpoint(endpoints.s3Endpoint()).region(endpoints.s3Region())
                .credentials(endpoints.s3AccessKey(), secretKey).build();
    }
}
