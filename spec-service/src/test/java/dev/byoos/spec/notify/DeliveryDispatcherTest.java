package dev.byoos.spec.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

class DeliveryDispatcherTest {

    @Test
    void theWaitBetweenAttemptsDoublesFromTheInitialBackoffUpToTheCap() {
        List<Duration> waits = IntStream.rangeClosed(1, 8)
                .mapToObj(round -> DeliveryDispatcher.backoff(round, Duration.ofSeconds(10), Duration.ofMinutes(2)))
                .toList();
        assertEquals(List.of(Duration.ofSeconds(10), Duration.ofSeconds(20), Duration.ofSeconds(40),
                Duration.ofSeconds(80), Duration.ofMinutes(2), Duration.ofMinutes(2), Duration.ofMinutes(2),
                Duration.ofMinutes(2)), waits);
        assertEquals(Duration.ofMinutes(10), DeliveryDispatcher.backoff(10_000, Duration.ofSeconds(10),
                Duration.ofMinutes(10)), "no overflow however many attempts");
    }

    @Test
    void theSignatureIsTheHexHmacOfTimestampDotBody() {
        // Computed independently: printf '%s' '1700000000.{"id":"e1"}' | openssl dgst -sha256 -hmac test-secret
        assertEquals("sha256=28a52e02b5d11679bd2a63a2c74cd077ee58b29b8115da72cb76352abacdb29e",
                DeliveryDispatcher.signature("test-secret", "1700000000", "{\"id\":\"e1\"}"));
    }
}
