package dev.byoos.artifact.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;

import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import okhttp3.OkHttpClient;

import dev.byoos.artifact.storage.ArtifactStore.Measured;
import dev.byoos.artifact.storage.ArtifactStore.ObjectMissingException;
import dev.byoos.artifact.storage.ArtifactStore.StorageUnavailableException;
import dev.byoos.testsupport.Endpoints;
import dev.byoos.testsupport.TestStack;

/**
 * Measuring and promoting staged objects against the test stack's real S3: the digest is of every
 * byte whatever the object's size; a small object (every build's SBOM and log, a synthetic build's
 * image) is measured with one read, as each further request is CPU in this service and in S3 on
 * every build; and against stores that answer a range with other bytes than asked for, or ignore it.
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
    void aSmallObjectIsMeasuredWithOneReadAndPromotedAfterAskingWhetherItsAddressHoldsIt() throws Exception {
        byte[] content = "{\"spdxVersion\":\"SPDX-2.3\"}\n".getBytes();
        String key = stage(content);

        Measured measured = store.measure(endpoints.s3StagingBucket(), key);
        String promoted = store.promote(endpoints.s3StagingBucket(), key, measured);

        assertEquals(sha256(content), measured.sha256());
        assertEquals(content.length, measured.size());
        assertEquals("sha256/" + sha256(content), promoted);
        assertEquals(List.of("GET /" + endpoints.s3StagingBucket() + "/" + key,
                "HEAD /" + endpoints.s3ArtifactsBucket() + "/" + promoted,
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
    void aContentRangeIsReadStrictly() throws Exception {
        ArtifactStore.ContentRange range = ArtifactStore.ContentRange.parse("bytes 0-8388607/20000000000");
        assertEquals(20_000_000_000L, range.requireStart(0, ArtifactStore.RANGE_BYTES, "b/k"));
        assertEquals(10, ArtifactStore.ContentRange.parse("bytes 0-9/10").requireStart(0, ArtifactStore.RANGE_BYTES, "b/k"));
        assertThrows(IOException.class, () -> ArtifactStore.ContentRange.parse("bytes 0-9/*"));
        assertThrows(IOException.class, () -> ArtifactStore.ContentRange.parse("bytes -1-9/10"));
        assertThrows(IOException.class, () -> ArtifactStore.ContentRange.parse(null));
        assertThrows(IOException.class, () -> ArtifactStore.ContentRange.parse("bytes 5-14/20").requireStart(0, 10, "b/k"));
        assertThrows(IOException.class, () -> ArtifactStore.ContentRange.parse("bytes 0-9/20").require(10, 10, 20, "b/k"));
        assertThrows(IOException.class, () -> ArtifactStore.ContentRange.parse("bytes 10-19/30").require(10, 10, 20, "b/k"));
    }

    @Test
    void aStoreThatIgnoresRangesSendsTheWholeObjectToTheFirstReadWhichIsHashedToItsEnd() throws Exception {
        byte[] content = new byte[ArtifactStore.RANGE_BYTES + 4321];
        new Random(11).nextBytes(content);
        try (FakeStore store = new FakeStore(exchange -> answer(exchange, 200, content, null))) {
            Measured measured = store.store().measure("byoos-staging", "builds/b/disk.qcow2");

            assertEquals(sha256(content), measured.sha256());
            assertEquals(content.length, measured.size());
            assertEquals(1, store.gets.get());
        }
    }

    @Test
    void aLaterRangeAnsweredWithOtherBytesThanAskedForFailsTheMeasurement() throws Exception {
        byte[] content = new byte[ArtifactStore.RANGE_BYTES + 10];
        new Random(13).nextBytes(content);
        // Every read gets the object's first bytes, labelled as such: never the range asked for after the first.
        try (FakeStore store = new FakeStore(exchange -> {
            int length = Math.min(ArtifactStore.RANGE_BYTES, content.length);
            answer(exchange, 206, Arrays.copyOf(content, length), "bytes 0-" + (length - 1) + "/" + content.length);
        })) {
            assertThrows(StorageUnavailableException.class,
                    () -> store.store().measure("byoos-staging", "builds/b/disk.qcow2"));
        }
    }

    /** An S3 endpoint that answers every GET with {@code answer}. */
    private static final class FakeStore implements AutoCloseable {
        final AtomicInteger gets = new AtomicInteger();
        private final HttpServer server;

        FakeStore(HttpHandler answer) throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/", exchange -> {
                gets.incrementAndGet();
                answer.handle(exchange);
            });
            server.start();
        }

        ArtifactStore store() {
            MinioClient client = MinioClient.builder().endpoint("http://127.0.0.1:" + server.getAddress().getPort())
                    .region("us-east-1").credentials("key", "secret").build();
            return new ArtifactStore(client, client, "byoos-artifacts");
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    private static void answer(HttpExchange exchange, int status, byte[] body, String contentRange) throws IOException {
        exchange.getResponseHeaders().add("ETag", "\"0123456789abcdef0123456789abcdef\"");
        if (contentRange != null) {
            exchange.getResponseHeaders().add("Content-Range", contentRange);
        }
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
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
