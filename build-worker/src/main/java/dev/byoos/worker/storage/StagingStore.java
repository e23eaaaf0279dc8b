package dev.byoos.worker.storage;

import java.io.ByteArrayInputStream;
import java.io.IOException;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.minio.BucketExistsArgs;
import io.minio.GetObjectArgs;
import io.minio.ListObjectsArgs;
import io.minio.MinioAsyncClient;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.Result;
import io.minio.messages.Item;
import io.minio.messages.Part;

import com.google.common.collect.ImmutableMultimap;

import org.jboss.logging.Logger;

import dev.byoos.storage.S3Failures;
import dev.byoos.storage.S3Settings;
import dev.byoos.worker.builder.core.BuildException;

/**
 * The worker's view of S3: uploads built images to the staging bucket (in parts, several at once,
 * hashing the file in the same single read that fills the parts), and keeps a per-build completion record that makes a redelivered request a no-op.
 * All calls block; callers run on worker threads.
 */
@ApplicationScoped
public class StagingStore {

    /** awscli's part size: small enough that several parts in flight stay a few tens of MiB of heap. */
    static final int PART_SIZE = 8 * 1024 * 1024;
    /**
     * Parts uploaded at once: each upload thread signs its own part (SigV4 hashes the payload on a
     * plain-HTTP endpoint), so the signing, the file's own hash and S3's writes spread over the cores.
     */
    static final int PARTS_IN_FLIGHT = 4;
    /** A response body cut short is read once more; see {@link #getText}. */
    static final int BODY_READ_ATTEMPTS = 2;
    private static final Logger LOG = Logger.getLogger(StagingStore.class);
    /** S3 cannot be reached or answers "not now": waited out. */
    public static final String STORAGE_UNAVAILABLE = "STORAGE_UNAVAILABLE";
    /** S3 refused the request for good (access denied, no such bucket): the build fails at once. */
    public static final String STORAGE_REFUSED = "STORAGE_REFUSED";

    private final MinioClient client;
    /** The same endpoint and credentials: only the asynchronous client offers the multipart calls one by one. */
    private final MinioAsyncClient parts;
    private final String bucket;

    /** @param client and parts: the service's MinIO clients (storage-support's {@code S3ClientProducer}) */
    @Inject
    public StagingStore(MinioClient client, MinioAsyncClient parts, S3Settings settings) {
        this(client, parts, settings.stagingBucket());
    }

    /** A store on {@code bucket} through {@code client} and {@code parts}, both for the same endpoint and credentials. */
    public StagingStore(MinioClient client, MinioAsyncClient parts, String bucket) {
        this.client = client;
        this.parts = parts;
        this.bucket = bucket;
    }

    /** A store on {@code bucket} of the endpoint: a test's or a benchmark's view of the worker's bucket. */
    public static StagingStore connect(String endpoint, String region, String accessKey, String secretKey,
            String bucket) {
        return new StagingStore(MinioClient.builder().endpoint(endpoint).region(region)
                .credentials(accessKey, secretKey).build(), partsClient(endpoint, region, accessKey, secretKey), bucket);
    }

    private static MinioAsyncClient partsClient(String endpoint, String region, String accessKey, String secretKey) {
        // The region is given, so the client never asks the endpoint for it (as S3ClientProducer's).
        return MinioAsyncClient.builder().endpoint(endpoint).region(region).credentials(accessKey, secretKey).build();
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

    /**
     * Uploads {@code file} to {@code key} and hashes it in one sequential read: a file of more than
     * one part goes up as a multipart upload with {@value #PARTS_IN_FLIGHT} parts in flight.
     */
    public Upload upload(Path file, String key, String contentType) {
        try {
            long size = Files.size(file);
            String sha256 = size <= PART_SIZE ? uploadWhole(file, key, contentType, size)
                    : uploadInParts(file, key, contentType, size);
            return new Upload(key, sha256, size);
        } catch (Exception e) {
            throw unavailable("upload of " + key, e);
        }
    }

    private String uploadWhole(Path file, String key, String contentType, long size) throws Exception {
        MessageDigest sha256 = sha256();
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), sha256)) {
            client.putObject(PutObjectArgs.builder().bucket(bucket).object(key).stream(in, size, -1)
                    .contentType(contentType).build());
        }
        return HexFormat.of().formatHex(sha256.digest());
    }

    /**
     * One thread reads the file in order into part buffers and hashes each as it is read; the parts
     * go up on {@value #PARTS_IN_FLIGHT} threads. The buffers are bounded (one per part in flight and
     * the one being filled), so the heap used does not grow with the file. An upload that fails is
     * aborted, so S3 keeps none of its parts.
     */
    private String uploadInParts(Path file, String key, String contentType, long size) throws Exception {
        String uploadId = await(parts.createMultipartUploadAsync(bucket, null, key,
                ImmutableMultimap.of("Content-Type", contentType), null)).result().uploadId();
        int count = Math.toIntExact((size + PART_SIZE - 1) / PART_SIZE);
        Part[] uploaded = new Part[count];
        Semaphore inFlight = new Semaphore(PARTS_IN_FLIGHT);
        List<CompletableFuture<Void>> sent = new ArrayList<>(count);
        ExecutorService senders = Executors.newFixedThreadPool(PARTS_IN_FLIGHT, task -> {
            Thread thread = new Thread(task, "staging-upload");
            thread.setDaemon(true);
            return thread;
        });
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest sha256 = sha256();
            for (int number = 1; number <= count; number++) {
                inFlight.acquire();
                if (sent.stream().anyMatch(CompletableFuture::isCompletedExceptionally)) {
                    break;
                }
                int length = (int) Math.min(PART_SIZE, size - (long) (number - 1) * PART_SIZE);
                byte[] part = in.readNBytes(length);
                if (part.length != length) {
                    throw new IllegalStateException(file + " shrank while it was uploaded");
                }
                sha256.update(part);
                int partNumber = number;
                sent.add(CompletableFuture.runAsync(() -> {
                    try {
                        uploaded[partNumber - 1] = new Part(partNumber, await(parts.uploadPartAsync(bucket, null, key,
                                part, length, uploadId, partNumber, null, null)).etag());
                    } catch (Exception e) {
                        throw new CompletionException(e);
                    }
                }, senders).whenComplete((done, failure) -> inFlight.release()));
            }
            await(CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)));
            if (in.read() != -1) {
                throw new IllegalStateException(file + " grew while it was uploaded");
            }
            await(parts.completeMultipartUploadAsync(bucket, null, key, uploadId, uploaded, null, null));
            return HexFormat.of().formatHex(sha256.digest());
        } catch (Exception e) {
            sent.forEach(part -> part.cancel(false));
            try {
                await(parts.abortMultipartUploadAsync(bucket, null, key, uploadId, null, null));
            } catch (Exception abortFailure) {
                // S3 expires an abandoned upload's parts by itself; the upload's own failure is what matters.
                e.addSuppressed(abortFailure);
            }
            throw e;
        } finally {
            senders.shutdownNow();
        }
    }

    /** @return the call's result; its failure as S3 or the connection reported it, unwrapped for {@link S3Failures} */
    private static <T> T await(CompletableFuture<T> call) throws Exception {
        try {
            return call.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                    && cause.getCause() != null) {
                cause = cause.getCause();
            }
            throw cause instanceof Exception failure ? failure : e;
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
        return new Upload(key, HexFormat.of().formatHex(sha256().digest(bytes)), bytes.length);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** A small object (a record, a claim) that is larger than its reader's bound: not read, and not to be trusted. */
    public static final class OversizedObjectException extends RuntimeException {
        OversizedObjectException(String key, int maxBytes) {
            super(key + " holds more than " + maxBytes + " bytes, more than any such record written here: not read");
        }
    }

    /**
     * @param maxBytes the most this kind of object holds when a worker wrote it; the bucket is
     *                 writable by others, and a reader must not load whatever was put there
     * @return the object's text, empty when there is no such object. A body whose read fails after
     *         S3 answered (it ends before its length, the connection is reset or times out) is read
     *         once more: S3 endpoints (S3Proxy's Jetty under concurrent requests, a proxy closing the
     *         connection) can cut a response short, and a GET is safe to repeat. A second failure,
     *         or one while the thread is interrupted, is an outage like any other.
     * @throws OversizedObjectException when the object holds more than {@code maxBytes}
     */
    public Optional<String> getText(String key, int maxBytes) {
        if (maxBytes < 0 || maxBytes == Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a bound of " + maxBytes + " bytes");
        }
        for (int attempt = 1;; attempt++) {
            InputStream in;
            try {
                in = client.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build());
            } catch (Exception e) {
                if (S3Failures.classify(e).kind() == S3Failures.Kind.ABSENT) {
                    return Optional.empty();
                }
                throw unavailable("read of " + key, e);
            }
            try (in) {
                byte[] text = in.readNBytes(maxBytes + 1);
                if (text.length > maxBytes) {
                    throw new OversizedObjectException(key, maxBytes);
                }
                return Optional.of(new String(text, StandardCharsets.UTF_8));
            } catch (IOException cutShort) {
                if (attempt >= BODY_READ_ATTEMPTS || Thread.currentThread().isInterrupted()) {
                    throw unavailable("read of " + key, cutShort);
                }
                LOG.debugf("S3 read of %s failed after S3 answered (%s); reading it again", key, cutShort);
            } catch (OversizedObjectException e) {
                throw e;
            } catch (RuntimeException e) {
                throw unavailable("read of " + key, e);
            }
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
