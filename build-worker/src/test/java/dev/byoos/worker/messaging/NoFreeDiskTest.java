package dev.byoos.worker.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

import dev.byoos.contract.BuildFailed;
import dev.byoos.contract.BuildProgress;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.Topics;
import dev.byoos.testsupport.DevStackResource;

/**
 * A worker whose scratch filesystem has less free space than a build needs (here: a demand no
 * disk meets) waits and retries instead of failing at once, then reports the shortage.
 */
@QuarkusTest
@TestProfile(NoFreeDiskTest.DiskNeverSuffices.class)
@QuarkusTestResource(DevStackResource.class)
@QuarkusTestResource(TestBasesResource.class)
class NoFreeDiskTest extends WorkerKafkaTest {

    static final int ATTEMPTS = 3;

    public static class DiskNeverSuffices implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("byoos.worker.min-free-disk-bytes", String.valueOf(Long.MAX_VALUE),
                    "byoos.worker.retry.max-attempts", String.valueOf(ATTEMPTS));
        }
    }

    @Test
    void aBuildWaitsForDiskSpaceAndRetriesBeforeItFailsAsInfrastructure() {
        String buildId = UUID.randomUUID().toString();
        send(request(buildId, "debian-12-skeleton"), UUID.randomUUID().toString());

        BuildFailed failed = awaitFailure(buildId);
        assertEquals("INSUFFICIENT_DISK", failed.code());
        assertEquals(BuildFailed.INFRASTRUCTURE, failed.category());
        assertEquals(ATTEMPTS, failed.attempts());
        assertTrue(failed.retryable());
        assertTrue(failed.reason().contains("byoos.worker.min-free-disk-bytes"), failed.reason());
        List<BuildProgress> waits = kafka.awaitRecords(Topics.BUILDS_PROGRESS, buildId, ATTEMPTS - 1, TIMEOUT).stream()
                .map(record -> EventJson.read(record.value(), BuildProgress.class)).toList();
        waits.forEach(wait -> assertEquals("disk", wait.waitingFor()));
        assertEquals(List.of(), kafka.recordsWithin(Topics.BUILDS_COMPLETED, buildId, Duration.ofSeconds(2)));
    }
}
