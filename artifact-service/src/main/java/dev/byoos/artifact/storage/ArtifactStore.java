package dev.byoos.artifact.storage;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.minio.BucketExistsArgs;
import io.minio.CopyObjectArgs;
import io.minio.CopySource;
import io.minio.GetObjectArgs;
import io.minio.GetObjectResponse;
import io.minio.GetPresignedObjectUrlArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.RemoveObjectsArgs;
import io.minio.Result;
import io.minio.StatObjectArgs;
import io.minio.StatObjectResponse;
import io.minio.errors.ErrorResponseException;
import io.minio.http.Method;
import io.minio.messages.DeleteError;
import io.minio.messages.DeleteObject;

import dev.byoos.artifact.config.DownloadConfig;
import dev.byoos.messaging.resilience.DependencyUnavailableException;
import dev.byoos.storage.S3Failures;
import dev.byoos.storage.S3Settings;

/**
 * S3 access for artifacts: streaming verification, server-side promotion to content-addressed
 * keys, reads and presigned downloads. No method holds more than a few ranges of an object in
 * memory ({@value #RANGES_HELD} of {@value #RANGE_BYTES} bytes), whatever its size. Every method
 * blocks; callers run it on a worker thread.
 */
@ApplicationScoped
public class ArtifactStore {

    /** One ranged read of a measured object: large enough that hashing, not the requests, bounds the throughput. */
    static final int RANGE_BYTES = 8 * 1024 * 1024;
    /**
     * Ranges held at once while measuring: the one being hashed and those being fetched meanwhile, so
     * S3 serves the next bytes while this service hashes the last. Bounded because three builds are
     * promoted at once within a 256 MiB heap.
     */
    static final int RANGES_HELD = 3;
    /** An absent object; a missing bucket is no such answer but a permanent error ({@link S3Failures}). */
    private static final Set<String> ABSENT = Set.of("NoSuchKey", "NoSuchObject");

    private final MinioClient client;
    /** Signs download URLs for the endpoint users reach; signing needs no call to S3. */
    private final MinioClient presigner;
    private final String artifactsBucket;

    @Inject
    public ArtifactStore(MinioClient client, S3Settings settings, DownloadConfig downloads) {
        this(client, downloads.publicEndpoint().map(endpoint -> presigner(endpoint, settings.region(),
                settings.accessKey(), settings.secretKey())).orElse(client), settings.artifactsBucket());
    }

    /** @param presigner the client whose endpoint presigned URLs name */
    ArtifactStore(MinioClient client, MinioClient presigner, String artifactsBucket) {
        this.client = client;
        this.presigner = presigner;
        this.artifactsBucket = artifactsBucket;
    }

    /**
     * A client for the public endpoint with the service's credentials, used only to sign. The region
     * is given, so the client never asks the endpoint for it: presigning makes no network call, and
     * the public endpoint need not be reachable from inside the cluster.
     */
    static MinioClient presigner(URI publicEndpoint, String region, String accessKey, String secretKey) {
        return MinioClient.builder().endpoint(publicEndpoint.toString()).region(region)
                .credentials(accessKey, secretKey).build();
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

    /**
     * What an object holds, computed from its bytes.
     *
     * @param etag the version that was read: a promotion copies only that version
     */
    public record Measured(String sha256, long size, String etag) {
    }

    /**
     * Reads an object end to end and returns its sha256 and size. The bytes come as ranged reads,
     * the next ones fetched while the last are hashed, and are hashed in order: the digest is of the
     * whole object as S3 holds it. The first read's answer names the object's size and ETag (an
     * object of one range, as an SBOM or a build log, takes that one request), and every later read
     * is pinned to that ETag, so the digest belongs to exactly one version of the object. Every
     * answer must be the range asked for ({@code Content-Range}, and as many bytes); a store that
     * ignores ranges sends the whole object to the first read, which is then hashed as it comes.
     *
     * @throws ObjectMissingException     when the object does not exist
     * @throws StorageUnavailableException when S3 fails; retrying later may succeed
     * @throws StorageRefusedException     when S3 refuses the request for good (access denied, no such bucket)
     */
    public Measured measure(String bucket, String key) {
        String location = bucket + "/" + key;
        return call("reading " + location, () -> {
            MessageDigest digest = sha256();
            Start start = readStart(bucket, key, digest);
            long size = start.size();
            String etag = start.etag();
            long hashed = start.hashed();
            if (hashed >= size) {
                return new Measured(HexFormat.of().formatHex(digest.digest()), hashed, etag);
            }
            ExecutorService readers = Executors.newFixedThreadPool(RANGES_HELD - 1, task -> {
                Thread thread = new Thread(task, "artifact-measure");
                thread.setDaemon(true);
                return thread;
            });
            Deque<CompletableFuture<byte[]>> fetching = new ArrayDeque<>();
            try {
                long next = hashed;
                while (hashed < size) {
                    while (next < size && fetching.size() < RANGES_HELD - 1) {
                        long offset = next;
                        int length = (int) Math.min(RANGE_BYTES, size - offset);
                        fetching.add(CompletableFuture.supplyAsync(
                                () -> readRange(bucket, key, etag, offset, length, size), readers));
                        next += length;
                    }
                    byte[] range = await(fetching.remove());
                    digest.update(range);
                    hashed += range.length;
                }
                return new Measured(HexFormat.of().formatHex(digest.digest()), hashed, etag);
            } finally {
                fetching.forEach(range -> range.cancel(true));
                readers.shutdownNow();
            }
        }, location);
    }

    /** What the first read found: the object's size and ETag, and how many of its bytes it hashed. */
    private record Start(long size, String etag, long hashed) {
    }

    /**
     * Hashes up to {@value #RANGE_BYTES} bytes from the start into {@code digest}. S3 answers a
     * range with {@code Content-Range: bytes 0-<last>/<size>}; an answer without one is the whole
     * object, hashed to its end. An empty object has no byte to answer with (416 InvalidRange), so
     * its ETag comes from a HEAD.
     */
    private Start readStart(String bucket, String key, MessageDigest digest) throws Exception {
        try (GetObjectResponse in = client.getObject(GetObjectArgs.builder().bucket(bucket).object(key)
                .offset(0L).length((long) RANGE_BYTES).build())) {
            String etag = unquoted(in.headers().get("ETag"));
            if (etag == null || etag.isBlank()) {
                throw new IOException("S3 answered a read of " + bucket + "/" + key + " without an ETag");
            }
            String contentRange = in.headers().get("Content-Range");
            if (contentRange == null) {
                long hashed = hashToEnd(in, digest);
                String length = in.headers().get("Content-Length");
                if (length != null && !length.strip().equals(Long.toString(hashed))) {
                    throw new IOException("S3 sent " + hashed + " bytes of " + bucket + "/" + key + " where its "
                            + "Content-Length said " + length);
                }
                return new Start(hashed, etag, hashed);
            }
            long size = ContentRange.parse(contentRange).requireStart(0, RANGE_BYTES, bucket + "/" + key);
            int length = (int) Math.min(RANGE_BYTES, size);
            byte[] bytes = in.readNBytes(length);
            if (bytes.length != length) {
                throw new IOException("S3 returned " + bytes.length + " bytes of " + bucket + "/" + key
                        + " where " + length + " were announced");
            }
            digest.update(bytes);
            return new Start(size, etag, length);
        } catch (ErrorResponseException e) {
            if (!"InvalidRange".equals(e.errorResponse().code())) {
                throw e;
            }
            StatObjectResponse stat = client.statObject(StatObjectArgs.builder().bucket(bucket).object(key).build());
            if (stat.size() != 0) {
                throw new IOException("S3 refused the first range of " + bucket + "/" + key + " but holds "
                        + stat.size() + " bytes of it");
            }
            return new Start(0, stat.etag(), 0);
        }
    }

    private static long hashToEnd(InputStream in, MessageDigest digest) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long hashed = 0;
        for (int read = in.read(buffer); read != -1; read = in.read(buffer)) {
            digest.update(buffer, 0, read);
            hashed += read;
        }
        return hashed;
    }

    /** {@code bytes <first>-<last>/<size>}: the part of an object an answer holds. */
    record ContentRange(long first, long last, long size) {

        private static final Pattern FORMAT = Pattern.compile("bytes (\\d{1,18})-(\\d{1,18})/(\\d{1,18})");

        static ContentRange parse(String header) throws IOException {
            Matcher matcher = FORMAT.matcher(header == null ? "" : header.strip());
            if (!matcher.matches()) {
                throw new IOException("S3 answered a range with Content-Range '" + header + "'");
            }
            return new ContentRange(Long.parseLong(matcher.group(1)), Long.parseLong(matcher.group(2)),
                    Long.parseLong(matcher.group(3)));
        }

        /** @return the object's size, when this is the object's first {@code length} bytes (or all, if fewer) */
        long requireStart(long offset, long length, String location) throws IOException {
            return require(offset, Math.min(length, size - offset), size, location);
        }

        /** @return the object's size, when this is exactly bytes {@code offset} to {@code offset + length - 1} of {@code size} */
        long require(long offset, long length, long expectedSize, String location) throws IOException {
            if (first != offset || last != offset + length - 1 || size != expectedSize || length <= 0) {
                throw new IOException("S3 answered bytes " + first + "-" + last + "/" + size + " of " + location
                        + " where bytes " + offset + "-" + (offset + length - 1) + "/" + expectedSize + " were asked for");
            }
            return size;
        }
    }

    /** As the MinIO client gives ETags elsewhere: without their quotes. */
    private static String unquoted(String etag) {
        return etag == null ? null : etag.replace("\"", "");
    }

    /** @return exactly bytes {@code offset} to {@code offset + length - 1} of the object's version {@code etag} */
    private byte[] readRange(String bucket, String key, String etag, long offset, int length, long size) {
        try (GetObjectResponse in = client.getObject(GetObjectArgs.builder().bucket(bucket).object(key)
                .matchETag(etag).offset(offset).length((long) length).build())) {
            ContentRange.parse(in.headers().get("Content-Range")).require(offset, length, size, bucket + "/" + key);
            byte[] range = in.readNBytes(length);
            if (range.length != length) {
                throw new IOException("S3 returned " + range.length + " bytes of " + bucket + "/" + key
                        + " from offset " + offset + " where " + length + " were asked for");
            }
            return range;
        } catch (Exception e) {
            throw new CompletionException(e);
        }
    }

    /** @return the range; its read's failure as S3 or the connection reported it, for {@link #call} to sort */
    private static byte[] await(CompletableFuture<byte[]> range) throws Exception {
        try {
            return range.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            while (cause instanceof CompletionException && cause.getCause() != null) {
                cause = cause.getCause();
            }
            throw cause instanceof Exception failure ? failure : e;
        }
    }

    /**
     * Copies a verified object to {@code sha256/<digest>} in the artifacts bucket, unless that key
     * already holds it (identical content is stored once). The copy runs inside S3: no byte passes
     * through this service. The MinIO client copies objects over 5 GiB as a multipart upload of
     * part copies (UploadPartCopy). The copy is conditional on the measured ETag, so a source that
     * changed after it was verified is never promoted. An address in use is never written again,
     * whatever the object's size: the staged copy's metadata (content type, user metadata) comes
     * from the worker, and an ETag pin is only as strong as the store's ETag (MD5 for one-part
     * uploads), so rewriting would let one team's build replace what another's downloads serve.
     *
     * @return the content-addressed key
     */
    public String promote(String sourceBucket, String sourceKey, Measured verified) {
        String key = contentAddress(verified.sha256());
        String location = sourceBucket + "/" + sourceKey;
        return call("promoting " + location + " to " + artifactsBucket + "/" + key, () -> {
            if (sizeOf(key) == verified.size()) {
                return key;
            }
            client.copyObject(CopyObjectArgs.builder()
                    .bucket(artifactsBucket)
                    .object(key)
                    .source(CopySource.builder().bucket(sourceBucket).object(sourceKey).matchETag(verified.etag()).build())
                    .build());
            return key;
        }, location);
    }

    /** Writes a small object (an attestation) into the artifacts bucket; rewriting the same bytes is harmless. */
    public void put(String key, byte[] content) {
        String location = artifactsBucket + "/" + key;
        call("writing " + location, () -> client.putObject(PutObjectArgs.builder().bucket(artifactsBucket).object(key)
                .stream(new java.io.ByteArrayInputStream(content), content.length, -1)
                .contentType("application/json").build()), location);
    }

    /** Opens a stored artifact for reading; the caller closes the stream. */
    public InputStream open(String key) {
        String location = artifactsBucket + "/" + key;
        return call("opening " + location,
                () -> client.getObject(GetObjectArgs.builder().bucket(artifactsBucket).object(key).build()), location);
    }

    /**
     * A URL that downloads a stored artifact without credentials until {@code expiry} has passed,
     * on the public endpoint when one is set ({@code byoos.artifact.downloads.public-endpoint}).
     */
    public String presignedDownload(String key, Duration expiry) {
        String location = artifactsBucket + "/" + key;
        return call("presigning " + location, () -> presigner.getPresignedObjectUrl(GetPresignedObjectUrlArgs.builder()
                .method(Method.GET)
                .bucket(artifactsBucket)
                .object(key)
                .expiry((int) expiry.toSeconds(), TimeUnit.SECONDS)
                .build()), location);
    }

    /** Deletes a stored object; deleting one that is already gone succeeds. */
    public void delete(String key) {
        String location = artifactsBucket + "/" + key;
        call("deleting " + location, () -> {
            client.removeObject(RemoveObjectArgs.builder().bucket(artifactsBucket).object(key).build());
            return key;
        }, location);
    }

    /**
     * @return whether the artifacts bucket holds {@code key} with {@code size} bytes right now: an
     *         artifact about to be recorded checks that retention did not take its object meanwhile
     */
    public boolean holds(String key, long size) {
        String location = artifactsBucket + "/" + key;
        return call("checking " + location, () -> sizeOf(key) == size, location);
    }

    /**
     * Deletes the objects a build staged in {@code stagingBucket}, once their content was promoted (or
     * the build failed here), in one multi-object delete (S3 DeleteObjects) rather than one request
     * each; deleting one that is already gone succeeds.
     *
     * @throws StorageUnavailableException naming the first object S3 did not delete, when any
     */
    public void deleteStaged(String stagingBucket, List<String> keys) {
        String location = stagingBucket + "/" + keys;
        call("deleting " + location, () -> {
            // The client sends the request only while its results are read: every one is read.
            for (Result<DeleteError> result : client.removeObjects(RemoveObjectsArgs.builder().bucket(stagingBucket)
                    .objects(keys.stream().map(DeleteObject::new).toList()).build())) {
                DeleteError error = result.get();
                throw new IOException("S3 did not delete " + stagingBucket + "/" + error.objectName() + ": "
                        + error.code() + " " + error.message());
            }
            return keys;
        }, location);
    }

    public static String contentAddress(String sha256) {
        return "sha256/" + sha256;
    }

    /** @return the size of an object in the artifacts bucket, or -1 when there is none */
    private long sizeOf(String key) throws Exception {
        try {
            return client.statObject(StatObjectArgs.builder().bucket(artifactsBucket).object(key).build()).size();
        } catch (ErrorResponseException e) {
            if (ABSENT.contains(e.errorResponse().code())) {
                return -1;
            }
            throw e;
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    @FunctionalInterface
    private interface S3Call<T> {
        T run() throws Exception;
    }

    /**
     * Runs one S3 operation and sorts its failures: an absent object and a refusal S3 will repeat
     * (access denied, no such bucket, any 4xx but throttling and timeouts: storage-support's
     * {@link S3Failures}, the rules every service shares) are final; anything else (no connection, a
     * timeout, a 5xx, throttling, a version that changed under a conditional request) may pass.
     */
    private static <T> T call(String what, S3Call<T> operation, String location) {
        try {
            return operation.run();
        } catch (ErrorResponseException e) {
            if (ABSENT.contains(e.errorResponse().code())) {
                throw new ObjectMissingException(location);
            }
            if (!mayPass(e)) {
                throw new StorageRefusedException(what, e.errorResponse().code(), e);
            }
            throw new StorageUnavailableException(what, e);
        } catch (IllegalArgumentException e) {
            // The MinIO client checks names before sending: an invalid bucket name never becomes valid.
            throw new StorageRefusedException(what, "InvalidBucketName", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StorageUnavailableException(what, e);
        } catch (Exception e) {
            // I/O errors, and the MinIO client's checked exceptions (malformed responses).
            throw new StorageUnavailableException(what, e);
        }
    }

    /**
     * Whether S3's refusal may pass if asked again: an outage by the shared rules, or this store's
     * conditional copy finding the object changed after it was measured (412: the retry measures again).
     */
    static boolean mayPass(ErrorResponseException refusal) {
        return S3Failures.classify(refusal).outage() || refusal.response() != null && refusal.response().code() == 412
                || "PreconditionFailed".equals(refusal.errorResponse().code());
    }

    /** The object does not exist. */
    public static class ObjectMissingException extends RuntimeException {
        public ObjectMissingException(String location) {
            super("object " + location + " does not exist");
        }
    }

    /**
     * S3 refused the request and will refuse it again (access denied, no such bucket, an invalid
     * bucket name or credentials): waiting changes nothing.
     */
    public static class StorageRefusedException extends RuntimeException {

        private final String s3Code;

        /** @param what the operation with its bucket and key, e.g. {@code reading byoos-staging/builds/…} */
        public StorageRefusedException(String what, String s3Code, Throwable cause) {
            super("S3 refused " + what + ": " + s3Code + " (" + cause.getMessage() + ")", cause);
            this.s3Code = s3Code;
        }

        /** S3's error code, e.g. {@code AccessDenied}, {@code NoSuchBucket}. */
        public String s3Code() {
            return s3Code;
        }
    }

    /** S3 could not be reached or answered "not now" (5xx, throttling); retrying later may succeed. */
    public static class StorageUnavailableException extends DependencyUnavailableException {

        /** What work waits for while S3 is unavailable ({@code build.progress} waitingFor). */
        public static final String DEPENDENCY = "s3";

        public StorageUnavailableException(String what, Throwable cause) {
            super(DEPENDENCY, "S3 failed while " + what + ": " + cause.getMessage(), cause);
        }
    }
}
