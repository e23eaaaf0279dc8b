package dev.byoos.artifact.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;

import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import okhttp3.OkHttpClient;

import dev.byoos.artifact.storage.ArtifactStore.Measured;
import dev.byoos.artifact.storage.ArtifactStore.ObjectMissingException;
import dev.byoos.testsupport.Endpoints;
import dev.byoos.testsupport.TestStack;

/**
 * Measuring and promoting staged objects against the test stack's real S3: the digest is of every
 * byte whatever the object's size, and a small object (every build's SBOM and log, a synthetic
 * build's image) costs one read and one copy: each further request is CPU in this service and in S3
 * on every build.
 */
class MeasureAndPromoteTest {

    private final Endpoints endpoints = TestStack.endpoints();
    /** Each request the store sends: method and path. */
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final ArtifactStore store;

    MeasureAndPromoteTest() {
        OkHttpClient counting = new OkHttpClient.Builder().addInterceptor(chain -> {
            requests.add(chain.request().method() + " " + chain.request().url().encodedPath());
            return chain.proceed(chain.request());
        }).build();
        MinioClient client = MinioClient.builder().endpoint(endpoints.s3Endpoint()).region(endpoints.s3Region())
                .credentials(endpoints.s3AccessKey(), endpoints.s3SecretKey()).httpClient(counting).build();
        store = new ArtifactStore(client, client, endpoints.s3ArtifactsBucket());
    }

    @Test
    void aSmallObjectIsMeasuredWithOneReadAndPromotedWithOneCopy() throws Exception {
        byte[] content = "{\"spdxVersion\":\"SPDX-2.3\"}\n".getBytes();
        String key = stage(content);

        Measured measured = store.measure(endpoints.s3StagingBucket(), key);
        String promoted = store.promote(endpoints.s3StagingBucket(), key, measured);

        assertEquals(sha256(content), measured.sha256());
        assertEquals(content.length, measured.size());
        assertEquals("sha256/" + sha256(content), promoted);
        assertEquals(List.of("GET /" + endpoints.s3StagingBucket() + "/" + key,
                "PUT /" + endpoints.s3ArtifactsBucket() + "/" + promoted), requests);
        try (InputStream stored = store.open(promoted)) {
            assertArrayEquals(content, stored.readAllBytes());
        }
    }

    @Test
    void anObjectOfManyRangesIsHashedWholeAndInOrder() throws Exception {
        byte[] content = new byte[2 * ArtifactStore.RANGE_BYTES + 12345];
        new Random(7).nextBytes(content);
        String key = stage(content);

        Measured measured = store.measure(endpoints.s3StagingBucket(), key);

        assertEquals(sha256(content), measured.sha256());
        assertEquals(content.length, measured.size());
        assertEquals(3, requests.stream().filter(request -> request.startsWith("GET ")).count(), requests::toString);
    }

    @Test
    void anEmptyObjectHasTheDigestOfNoBytes() throws Exception {
        String key = stage(new byte[0]);

        Measured measured = store.measure(endpoints.s3StagingBucket(), key);

        assertEquals(sha256(new byte[0]), measured.sha256());
        assertEquals(0, measured.size());
    }

    @Test
    void anAbsentObjectIsMissing() {
        assertThrows(ObjectMissingException.class,
                () -> store.measure(endpoints.s3StagingBucket(), "builds/" + UUID.randomUUID() + "/absent"));
    }

    @Test
    void theSizeComesFromTheContentRangeOrWithoutOneFromTheLength() throws Exception {
        assertEquals(10, ArtifactStore.totalSize("bytes 0-9/10", "10"));
        assertEquals(20_000_000_000L, ArtifactStore.totalSize("bytes 0-8388607/20000000000", "8388608"));
        assertEquals(42, ArtifactStore.totalSize(null, "42"));
        assertThrows(java.io.IOException.class, () -> ArtifactStore.totalSize("bytes 0-9/*", "10"));
    }

    private String stage(byte[] content) throws Exception {
        String key = "builds/" + UUID.randomUUID() + "/attempt-1/object";
        MinioClient.builder().endpoint(endpoints.s3Endpoint()).region(endpoints.s3Region())
                .credentials(endpoints.s3AccessKey(), endpoints.s3SecretKey()).build()
                .putObject(PutObjectArgs.builder().bucket(endpoints.s3StagingBucket()).object(key)
                        .stream(new ByteArrayInputStream(content), content.length, -1).build());
        return key;
    }

    private static String sha256(byte[] content) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    }
}
