package dev.byoos.worker.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.UUID;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.minio.GetObjectArgs;
import io.minio.MinioClient;
import io.minio.StatObjectArgs;

import dev.byoos.testsupport.Endpoints;
import dev.byoos.testsupport.TestStack;

/** An image larger than a part, uploaded in parallel parts to the test stack's real S3 endpoint (S3Proxy). */
class StagingUploadTest {

    private static Endpoints endpoints;
    private static StagingStore staging;

    @BeforeAll
    static void connect() {
        endpoints = TestStack.endpoints();
        staging = StagingStore.connect(endpoints.s3Endpoint(), endpoints.s3Region(), endpoints.s3AccessKey(),
                endpoints.s3SecretKey(), endpoints.s3StagingBucket());
    }

    @Test
    void aFileOfManyPartsArrivesWholeInOrderWithTheDigestOfItsBytes(@TempDir Path dir) throws Exception {
        // More parts than are in flight at once, and a short last part.
        byte[] bytes = new byte[(StagingStore.PARTS_IN_FLIGHT + 2) * StagingStore.PART_SIZE + 12_345];
        new SplittableRandom(19).nextBytes(bytes);
        Path file = Files.write(dir.resolve("disk.qcow2"), bytes);
        String key = "builds/" + UUID.randomUUID() + "/attempt-1/disk.qcow2";

        StagingStore.Upload upload = staging.upload(file, key, "application/x-qemu-disk");

        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)), upload.sha256());
        assertEquals(bytes.length, upload.size());
        MinioClient s3 = MinioClient.builder().endpoint(endpoints.s3Endpoint()).region(endpoints.s3Region())
                .credentials(endpoints.s3AccessKey(), endpoints.s3SecretKey()).build();
        assertEquals("application/x-qemu-disk", s3.statObject(StatObjectArgs.builder()
                .bucket(staging.bucket()).object(key).build()).contentType());
        try (InputStream in = s3.getObject(GetObjectArgs.builder().bucket(staging.bucket()).object(key).build())) {
            assertArrayEquals(bytes, in.readAllBytes());
        }
        staging.delete(key);
    }
}
