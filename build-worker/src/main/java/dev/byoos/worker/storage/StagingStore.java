package dev.byoos.worker.storage;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.ListObjectsArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.Result;
import io.minio.messages.Item;

import dev.byoos.storage.S3Failures;
import dev.byoos.storage.S3Settings;
import dev.byoos.worker.builder.core.BuildException;

/**
 * The worker's view of S3: uploads built images to the staging bucket, hashing them while they
 * stream, and keeps a per-build completion record that makes a redelivered request a no-op.
 * All calls block; callers run on worker threads.
 */
@ApplicationScoped
public class StagingStore {

    static final long PART_SIZE = 16L * 1024 * 1024;
    /** S3 cannot be reached or answers "not now": waited out. */
    public static final String STORAGE_UNAVAILABLE = "STORAGE_UNAVAILABLE";
    /** S3 refused the request for good (access denied, no such bucket): the build fails at once. */
    public static final String STORAGE_REFUSED = "STORAGE_REFUSED";

    private final MinioClient client;
    private final String bucket;

    /** @param client the service's one MinIO client (storage-support's {@code S3ClientProducer}) */
    @Inject
    public StagingStore(MinioClient client, S3Settings settings) {
        this(client, settings.stagingBucket());
    }

    /** A store on {@code bucket} through {@code client}: a worker's own view, or a test's of the same bucket. */
    public StagingStore(MinioClient client, String bucket) {
        this.client = client;
        this.bucket = bucket;
    }

    public String bucket() {
        return bucket;
    }

    /** @return whether the staging bucket can be reached (and exists) right now */
    public boolean reachable() {
        try {
            return client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build());
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return false;
        }
    }

    public record Upload(String key, String sha256, long size) {
    }

    public Upload upload(Path file, String key) {
        return upload(file, key, "application/octet-stream");
    }

    /** Streams {@code file} to {@code key}, hashing the bytes on their way out. */
    public Upload upload(Path file, String key, String contentType) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            long size = Files.size(file);
            try (DigestInputStream hashing = new DigestInputStream(in, sha256)) {
                client.putObject(PutObjectArgs.builder()
                        .bucket(bucket)
                        .object(key)
                        .stream(hashing, size, PART_SIZE)
                        .contentType(contentType)
                        .build());
            }
            return new Upload(key, HexFormat.of().formatHex(sha256.digest()), size);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        } catch (Exception e) {
            throw unavailable("upload of " + key, e);
        }
    }

    public void putText(String key, String text) {
        put(key, text.getBytes(StandardCharsets.UTF_8), "application/json");
    }

    /** Writes a small object whole (a build log, a record); @return where it went, with its sha256 */
    public Upload put(String key, byte[] bytes, String contentType) {
        try {
            client.putObject(PutObjectArgs.builder()
                    .bucket(bucket)
                    .object(key)
                    .stream(new ByteArrayInputStream(bytes), bytes.length, -1)
                    .contentType(contentType)
                    .build());
        } catch (Exception e) {
            throw unavailable("write of " + key, e);
        }
        try {
            return new Upload(key, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)),
                    bytes.length);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public Optional<String> getText(String key) {
        try (InputStream in = client.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build())) {
            return Optional.of(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (Exception e) {
            if (S3Failures.classify(e).kind() == S3Failures.Kind.ABSENT) {
                return Optional.empty();
            }
            throw unavailable("read of " + key, e);
        }
    }

    /** @return the keys under {@code prefix}, at any depth, in key order */
    public List<String> list(String prefix) {
        List<String> keys = new ArrayList<>();
        try {
            for (Result<Item> item : client.listObjects(
                    ListObjectsArgs.builder().bucket(bucket).prefix(prefix).recursive(true).build())) {
                keys.add(item.get().objectName());
            }
        } catch (Exception e) {
            throw unavailable("listing of " + prefix, e);
        }
        return keys;
    }

    /** Removes the object; one that is not there is no error. */
    public void delete(String key) {
        try {
            client.removeObject(RemoveObjectArgs.builder().bucket(bucket).object(key).build());
        } catch (Exception e) {
            throw unavailable("removal of " + key, e);
        }
    }

    /**
     * An outage (no connection, 5xx, 408, 429, throttling) is STORAGE_UNAVAILABLE, which the worker
     * waits out; anything else S3 refuses (access denied, no such bucket, an invalid name) is
     * STORAGE_REFUSED, which waiting cannot fix: the build fails at once, naming the key and S3's code.
     */
    private BuildException unavailable(String what, Exception e) {
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        }
        S3Failures.S3Failure failure = S3Failures.classify(e);
        if (failure.permanent()) {
            return new BuildException(BuildException.Kind.WORKER_SETUP, STORAGE_REFUSED, "S3 refused the " + what
                    + " in bucket " + bucket + ": " + failure.describe() + "; waiting cannot help: the staging bucket"
                    + " (byoos.s3.staging-bucket) or the worker's S3 credentials must be fixed", e);
        }
        return new BuildException(BuildException.Kind.INFRASTRUCTURE, STORAGE_UNAVAILABLE,
                "S3 " + what + " in bucket " + bucket + " failed: " + failure.describe(), e);
    }
}
