package dev.byoos.worker.messaging;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.reactive.messaging.kafka.KafkaClientService;

import dev.byoos.contract.BuildFailed;
import dev.byoos.contract.Topics;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.worker.builder.Processes;
import dev.byoos.worker.builder.TestBases;
import dev.byoos.worker.config.WorkerConfig;

/**
 * Long builds against real Kafka, with a {@code max.poll.interval.ms} far shorter than a build:
 * a build that outlasts it is not rebalanced away nor redelivered, and one that outlasts the
 * worker's build timeout is stopped and reported.
 */
@QuarkusTest
@TestProfile(ExecutionLimitsTest.ShortIntervals.class)
@QuarkusTestResource(DevStackResource.class)
@QuarkusTestResource(TestBasesResource.class)
class ExecutionLimitsTest extends WorkerKafkaTest {

    static final int MAX_POLL_INTERVAL_MS = 3000;
    /** Three times the poll interval; a path, not an applet, so that it is a process of its own. */
    static final String LONGER_THAN_THE_POLL_INTERVAL = "/bin/sleep 9";
    static final String LONGER_THAN_THE_BUILD_TIMEOUT = "/bin/sleep 300";

    public static class ShortIntervals implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "mp.messaging.incoming.\"byoos.builds.requested\".max.poll.interval.ms",
                    String.valueOf(MAX_POLL_INTERVAL_MS),
                    "byoos.worker.build-timeout", "20s");
        }
    }

    @Inject
    WorkerConfig config;
    @Inject
    KafkaClientService kafkaClients;

    @Test
    void aBuildLongerThanTheMaxPollIntervalCompletesOnceWithoutARebalanceOrRedelivery() {
        assertEquals(String.valueOf(MAX_POLL_INTERVAL_MS), String.valueOf(kafkaClients
                .getConsumer(Topics.BUILDS_REQUESTED).configuration().get("max.poll.interval.ms")),
                "the worker's request consumer runs with the short interval");
        String buildId = UUID.randomUUID().toString();
        send(requestWithPostScript(buildId, TestBases.BUSYBOX, LONGER_THAN_THE_POLL_INTERVAL),
                UUID.randomUUID().toString());

        kafka.awaitRecords(Topics.BUILDS_COMPLETED, buildId, 1, TIMEOUT);
        // Once the request's offset is committed it cannot come back; then count what it caused.
        awaitAcknowledged(buildId);
        assertEquals(1, kafka.recordsWithin(Topics.BUILDS_STARTED, buildId, Duration.ofSeconds(2)).size(),
                "a redelivered request would have started the build again");
        assertEquals(1, kafka.recordsWithin(Topics.BUILDS_COMPLETED, buildId, Duration.ofSeconds(2)).size());
    }

    @Test
    void aBuildThatRunsOutOfTimeIsStoppedAndFailsAsInfrastructure() {
        String buildId = UUID.randomUUID().toString();
        send(requestWithPostScript(buildId, TestBases.BUSYBOX, LONGER_THAN_THE_BUILD_TIMEOUT),
                UUID.randomUUID().toString());

        BuildFailed failed = awaitFailure(buildId);
        assertEquals("BUILD_TIMEOUT", failed.code());
        assertEquals(BuildFailed.INFRASTRUCTURE, failed.category());
        assertEquals(1, failed.attempts());
        assertTrue(failed.reason().contains("within 20s (byoos.worker.build-timeout)"), failed.reason());
        assertTrue(failed.reason().contains("phase 'layers'"), failed.reason());
        Processes.awaitGone(LONGER_THAN_THE_BUILD_TIMEOUT);
        Path scratch = config.scratchDir().resolve(buildId + ".attempt-1");
        await("the scratch directory is removed").atMost(Processes.KILL_BOUND).until(() -> !Files.exists(scratch));
        awaitAcknowledged(buildId);
    }
}
