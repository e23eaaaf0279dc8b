package dev.byoos.worker.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.byoos.worker.builder.core.BuildException;

/**
 * What the worker does when S3 is not there (report it, classified as retryable infrastructure) and
 * when S3 cuts an answer short.
 */
class StagingStoreTest {

    static StagingStore storeWithNothingListening() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        String endpoint = "http://127.0.0.1:" + port;
        return StagingStore.connect(endpoint, "us-east-1", "key", "secret", "byoos-staging");
    }

    @Test
    void isNotReachableWhenNothingListens() throws IOException {
        assertFalse(storeWithNothingListening().reachable());
    }

    @Test
    void aFailedUploadIsARetryableInfrastructureFailure(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("disk.raw"), "bytes");
        BuildException failure = assertThrows(BuildException.class,
                () -> storeWithNothingListening().upload(file, "builds/x/disk.raw"));
        assertEquals("STORAGE_UNAVAILABLE", failure.code());
        assertEquals(BuildException.Kind.INFRASTRUCTURE, failure.kind());
    }

    private static final String CLAIM = "{\"worker\":\"worker-a\",\"attempt\":1}";

    /**
     * Answers each GET on its own connection: the first {@code cutAnswers} with the full length in
     * Content-Length but half of the body before the connection closes, the rest in full.
     */
    private static final class CuttingS3 implements AutoCloseable {
        private final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        private final AtomicInteger gets = new AtomicInteger();
        private final Thread server;

        CuttingS3(int cutAnswers) throws IOException {
            server = new Thread(() -> {
                while (!socket.isClosed()) {
                    try (Socket connection = socket.accept()) {
                        BufferedReader request = new BufferedReader(
                                new InputStreamReader(connection.getInputStream(), StandardCharsets.ISO_8859_1));
                        for (String line = request.readLine(); line != null && !line.isEmpty();
                                line = request.readLine()) {
                            // the request's head: nothing in it changes the answer
                        }
                        byte[] body = CLAIM.getBytes(StandardCharsets.UTF_8);
                        boolean cut = gets.incrementAndGet() <= cutAnswers;
                        OutputStream out = connection.getOutputStream();
                        out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                                + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                        out.write(body, 0, cut ? body.length / 2 : body.length);
                        out.flush();
                    } catch (IOException closed) {
                        // the socket closed at the test's end, or the client went away
                    }
                }
            }, "cutting-s3");
            server.setDaemon(true);
            server.start();
        }

        StagingStore store() {
            return StagingStore.connect("http://127.0.0.1:" + socket.getLocalPort(), "us-east-1", "key", "secret",
                    "byoos-staging");
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    @Test
    void aReadWhoseBodyEndsEarlyIsReadAgainAndGivesTheWholeObject() throws IOException {
        try (CuttingS3 s3 = new CuttingS3(1)) {
            assertEquals(Optional.of(CLAIM), s3.store().getText("builds/b1/lease/claim.json", 1024));
            assertEquals(2, s3.gets.get());
        }
    }

    @Test
    void aReadCutShortTwiceIsAnOutageNotAPartialText() throws IOException {
        try (CuttingS3 s3 = new CuttingS3(2)) {
            BuildException failure = assertThrows(BuildException.class,
                    () -> s3.store().getText("builds/b1/lease/claim.json", 1024));
            assertEquals("STORAGE_UNAVAILABLE", failure.code());
            assertEquals(BuildException.Kind.INFRASTRUCTURE, failure.kind());
            assertEquals(2, s3.gets.get());
        }
    }
}
