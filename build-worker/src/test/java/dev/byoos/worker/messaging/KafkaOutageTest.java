package dev.byoos.worker.messaging;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

import dev.byoos.contract.Topics;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.worker.builder.TestBases;

/**
 * Kafka not taking the worker's events (through {@link KafkaOutageEvents}, a double behind the real
 * publisher: the devstack has no Kafka outage switch): the build.started send waits, the request
 * stays unacknowledged and is not dead-lettered, the worker is not ready and says it waits for
 * Kafka; once Kafka takes events again the build starts and completes once.
 */
@QuarkusTest
@TestProfile(KafkaOutageTest.PublisherCutOff.class)
@QuarkusTestResource(DevStackResource.class)
@QuarkusTestResource(TestBasesResource.class)
class KafkaOutageTest extends WorkerKafkaTest {

    private static final Duration QUIET = Duration.ofSeconds(2);

    public static class PublisherCutOff implements QuarkusTestProfile {
        @Override
        public Set<Class<?>> getEnabledAlternatives() {
            return Set.of(KafkaOutageEvents.class);
        }
    }

    @Test
    void aBuildWhoseStartKafkaDoesNotTakeWaitsAndIsBuiltOnceKafkaTakesItWithoutADeadLetter() {
        String buildId = UUID.randomUUID().toString();
        KafkaOutageEvents.down = true;
        try {
            send(request(buildId, TestBases.BUSYBOX), UUID.randomUUID().toString());

            kafka.awaitRecords(Topics.BUILDS_PROGRESS, record -> buildId.equals(record.key())
                    && record.value().contains("\"waitingFor\":\"kafka\""), 1, TIMEOUT);
            await("the worker is not ready while it waits for Kafka").atMost(TIMEOUT)
                    .until(() -> readinessWaits().equals("DOWN kafka"));
            assertEquals(List.of(), kafka.recordsWithin(Topics.deadLetter(Topics.BUILDS_REQUESTED), buildId, QUIET));
            assertEquals(List.of(), kafka.recordsWithin(Topics.BUILDS_STARTED, buildId, QUIET));
        } finally {
            KafkaOutageEvents.down = false;
        }

        kafka.awaitRecords(Topics.BUILDS_COMPLETED, buildId, 1, TIMEOUT);
        awaitAcknowledged(buildId);
        assertEquals(1, kafka.recordsWithin(Topics.BUILDS_STARTED, buildId, QUIET).size());
        assertEquals(1, kafka.recordsWithin(Topics.BUILDS_COMPLETED, buildId, QUIET).size());
        assertEquals(List.of(), kafka.recordsWithin(Topics.deadLetter(Topics.BUILDS_REQUESTED), buildId, QUIET));
        await("the worker is ready again").atMost(TIMEOUT).until(() -> readinessWaits().equals("UP "));
    }
}
