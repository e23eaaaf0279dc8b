package dev.byoos.worker.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.byoos.contract.BuildRequested;
import dev.byoos.contract.Topics;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.worker.builder.Processes;
import dev.byoos.worker.builder.TestBases;

/**
 * Kafka delivers at least once: the same build.requested record delivered again while its build
 * runs on this worker (as after a consumer restart or a rebalance) must leave that build alone.
 */
@QuarkusTest
@QuarkusTestResource(DevStackResource.class)
@QuarkusTestResource(TestBasesResource.class)
class DuplicateDeliveryTest extends WorkerKafkaTest {

    /** A path, not an applet name (busybox sh would run a bare "sleep" in its own process); unique to this test. */
    private static final String SLOW_SCRIPT = "/bin/sleep 7";

    @Test
    void aRequestDeliveredAgainWhileItsBuildRunsStartsNoSecondAttemptAndTheBuildCompletesOnce() {
        String buildId = UUID.randomUUID().toString();
        String eventId = UUID.randomUUID().toString();
        BuildRequested request = requestWithPostScript(buildId, TestBases.BUSYBOX, SLOW_SCRIPT);
        send(request, eventId);
        kafka.awaitRecords(Topics.BUILDS_STARTED, buildId, 1, TIMEOUT);
        Processes.awaitStarted(SLOW_SCRIPT, TIMEOUT);

        send(request, eventId);

        kafka.awaitRecords(Topics.BUILDS_COMPLETED, buildId, 1, TIMEOUT);
        awaitAcknowledged(buildId);
        assertEquals(1, kafka.recordsWithin(Topics.BUILDS_STARTED, buildId, Duration.ofSeconds(2)).size(),
                "one attempt started");
        assertEquals(1, kafka.recordsWithin(Topics.BUILDS_COMPLETED, buildId, Duration.ofSeconds(2)).size(),
                "one outcome announced");
        assertEquals(List.of(), kafka.recordsWithin(Topics.BUILDS_FAILED, buildId, Duration.ofSeconds(2)));
    }
}
