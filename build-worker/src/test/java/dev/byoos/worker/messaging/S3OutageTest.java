package dev.byoos.worker.messaging;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

import dev.byoos.contract.BuildProgress;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.Topics;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.TestStack;
import dev.byoos.worker.builder.TestBases;

/**
 * The devstack's S3 taken down (TestStack.s3Outage()) while a request arrives, with a
 * {@code max.poll.interval.ms} far shorter than the outage: the request waits, unacknowledged and
 * not dead-lettered, with the worker not ready and saying it waits for S3, and is built once when
 * S3 returns, without a rebalance handing it to another consumer meanwhile.
 */
@QuarkusTest
@TestProfile(ExecutionLimitsTest.ShortIntervals.class)
@QuarkusTestResource(DevStackResource.class)
@QuarkusTestResource(TestBasesResource.class)
class S3OutageTest extends WorkerKafkaTest {

    private static final Duration QUIET = Duration.ofSeconds(2);

    @Test
    void aBuildRequestedWhileS3IsOutWaitsAndIsBuiltOnceWhenS3ReturnsWithoutADeadLetter() throws Exception {
        String buildId = UUID.randomUUID().toString();
        try (AutoCloseable outage = TestStack.s3Outage()) {
            send(request(buildId, TestBases.BUSYBOX), UUID.randomUUID().toString());

            BuildProgress waiting = EventJson.read(kafka.awaitRecords(Topics.BUILDS_PROGRESS,
                    record -> buildId.equals(record.key()) && record.value().contains("\"waitingFor\":\"s3\""), 1,
                    TIMEOUT).get(0).value(), BuildProgress.class);
            assertEquals("s3", waiting.waitingFor());
            await("the worker is not ready while it waits for S3").atMost(TIMEOUT)
                    .until(() -> readinessWaits().equals("DOWN s3"));
            // Setup, not an assertion on time: the outage outlasts the consumer's poll interval several times.
            Thread.sleep(3L * ExecutionLimitsTest.MAX_POLL_INTERVAL_MS);
            assertEquals(List.of(), kafka.recordsWithin(Topics.deadLetter(Topics.BUILDS_REQUESTED), buildId, QUIET));
            assertEquals(List.of(), kafka.recordsWithin(Topics.BUILDS_STARTED, buildId, QUIET));
        }

        kafka.awaitRecords(Topics.BUILDS_COMPLETED, buildId, 1, TIMEOUT);
        awaitAcknowledged(buildId);
        assertEquals(1, kafka.recordsWithin(Topics.BUILDS_STARTED, buildId, QUIET).size(),
                "a request handed to another consumer during the outage would have started again");
        assertEquals(1, kafka.recordsWithin(Topics.BUILDS_COMPLETED, buildId, QUIET).size());
        assertEquals(List.of(), kafka.recordsWithin(Topics.BUILDS_FAILED, buildId, QUIET));
        assertEquals(List.of(), kafka.recordsWithin(Topics.deadLetter(Topics.BUILDS_REQUESTED), buildId, QUIET));
        await("the worker is ready again").atMost(TIMEOUT).until(() -> readinessWaits().equals("UP "));
    }
}
