package dev.byoos.artifact.storage;

import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.minio.BucketExistsArgs;
import io.minio.CopyObjectArgs;
import io.minio.CopySource;
import io.minio.GetObjectArgs;
import io.minio.MinioClient;
import io.minio.StatObjectArgs;
import io.minio.errors.ErrorResponseException;

import dev.byoos.artifact.config.S3Config;

/**
 * Verifies staged images and promotes them to content-addressed keys. The checksum is recomputed
 * from the bytes in S3, streamed, never buffered whole. Identical images are stored once.
 * Every method blocks; callers run it on a worker thread.
 */
@ApplicationScoped
public class ArtifactStore {

    private static final int BUFFER_SIZE = 1024 * 1024;

    private final MinioClient client;
    private final String artifactsBucket;

    @Inject
    public ArtifactStore(S3Config config) {
        this.client = MinioClient.builder()
                .endpoint(config.endpoint())
                .region(config.region())
                .credentials(config.accessKey(), config.secretKey())
                .build();
        this.artifactsBucket = config.artifactsBucket();
    }

    public String artifactsBucket() {
        return artifactsBucket;
    }

    /** @return whether {@code bucket} can be reached (and exists) right now */
    public boolean reachable(String bucket) {
        try {
            return client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build());
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return false;
        }
    }

    public record Measured(String sha256, long size) {
    }

    /** Reads a staged object end to end and returns its sha256 and size. */
    public Measured measure(String bucket, String key) {
        try (InputStream in = client.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build())) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[BUFFER_SIZE];
            long size = 0;
            for (int read; (read = in.read(buffer)) > 0;) {
                digest.update(buffer, 0, read);
                size += read;
            }
            return new Measured(HexFormat.of().formatHex(digest.digest()), size);
        } catch (ErrorResponseException e) {
            if ("NoSuchKey".equals(e.errorResponse().code())) {
                throw new StagedObjectMissingException(bucket + "/" + key);
            }
            throw new StorageUnavailableException("reading " + bucket + "/" + key, e);
        } catch (Exception e) {
            throw new StorageUnavailableException("reading " + bucket + "/" + key, e);
        }
    }

    /**
     * Copies a verified staged object to {@code sha256/<digest>} unless that key already holds it.
     *
     * @return the content-addressed key
     */
    public String promote(String stagingBucket, String stagedKey, String sha256) {
        String key = contentAddress(sha256);
        try {
            if (!exists(key)) {
                client.copyObject(CopyObjectArgs.builder()
                        .bucket(artifactsBucket)
                        .object(key)
                        .source(CopySource.builder().bucket(stagingBucket).object(stagedKey).build())
                        .build());
            }
            return key;
        } catch (Exception e) {
            throw new StorageUnavailableException("promoting " + stagedKey + " to " + key, e);
        }
    }

    public static String contentAddress(String sha256) {
        return "sha256/" + sha256;
    }

    private boolean exists(String key) throws Exception {
        try {
            client.statObject(StatObjectArgs.builder().bucket(artifactsBucket).object(key).build());
            return true;
        } catch (ErrorResponseException e) {
            if ("NoSuchKey".equals(e.errorResponse().code()) || "NoSuchObject".equals(e.errorResponse().code())) {
                return false;
            }
            throw e;
        }
    }

    /** The staged object named by the event does not exist. */
    public static class StagedObjectMissingException extends RuntimeException {
        public StagedObjectMissingException(String location) {
            super("staged object " + location + " does not exist");
        }
    }

    /** S3 could not be reached or refused the request; retrying later may succeed. */
    public static class StorageUnavailableException extends RuntimeException {
        public StorageUnavailableException(String what, Throwable cause) {
            super("S3 failed while " + what + ": " + cause.getMessage(), cause);
        }
    }
}
