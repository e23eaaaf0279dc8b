package dev.byoos.worker.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.byoos.worker.builder.core.BuildException;

/** What the worker does when S3 is not there: report it, classified as retryable infrastructure. */
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
}
