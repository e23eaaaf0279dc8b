package dev.byoos.worker.messaging;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.byoos.contract.BuildCancelled;
import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildRequested;
import dev.byoos.contract.BuildStarted;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.Topics;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.KafkaTestClient;
import dev.byoos.worker.builder.Processes;
import dev.byoos.worker.builder.TestBases;
import dev.byoos.worker.config.WorkerConfig;
import dev.byoos.worker.service.CancellationRegistry;

/** build.started and cancellation against real Kafka: started, stopped mid-build, skipped before it starts. */
@QuarkusTest
@QuarkusTestResource(DevStackResource.class)
@QuarkusTestResource(TestBasesResource.class)
class BuildCancellationTest extends WorkerKafkaTest {

    /** How long a cancelled build may take to stop. */
    static final Duration STOP_BOUND = Duration.ofSeconds(5);
    /** A path, not an applet name: busybox sh would run a bare "sleep" inside its own process. */
    static final String LONG_SCRIPT = "/bin/sleep 120";

    @Inject
    WorkerConfig config;
    @Inject
    CancellationRegistry cancellations;

    private void send(BuildRequested request) {
        send(request, UUID.randomUUID().toString());
    }

    private void cancel(BuildCoordinates build) {
        kafka.sendCloudEvent(Topics.BUILDS_CANCELLED, build.buildId(), EventTypes.BUILD_CANCELLED,
                UUID.randomUUID().toString(), EventJson.write(new BuildCancelled(build, "alice")));
    }

    @Test
    void aBuildAnnouncesThatItStartedBeforeItCompletes() {
        String buildId = UUID.randomUUID().toString();
        send(request(buildId, "debian-12-skeleton"));

        ConsumerRecord<String, String> record = kafka.awaitRecords(Topics.BUILDS_STARTED, buildId, 1, TIMEOUT).get(0);
        assertEquals(EventTypes.BUILD_STARTED, KafkaTestClient.header(record, "ce_type").orElseThrow());
        BuildStarted started = EventJson.read(record.value(), BuildStarted.class);
        assertEquals(buildId, started.build().buildId());
        assertEquals(config.instanceName(), started.worker());
        kafka.awaitRecords(Topics.BUILDS_COMPLETED, buildId, 1, TIMEOUT);
    }

    @Test
    void aCancelledBuildStopsItsScriptRemovesItsScratchAndAnnouncesNothing() {
        String buildId = UUID.randomUUID().toString();
        BuildRequested request = requestWithPostScript(buildId, TestBases.BUSYBOX, LONG_SCRIPT);
        send(request);
        kafka.awaitRecords(Topics.BUILDS_STARTED, buildId, 1, TIMEOUT);
        Processes.awaitStarted(LONG_SCRIPT, TIMEOUT);
        Path scratch = config.scratchDir().resolve(buildId + ".attempt-1");
        assertTrue(Files.isDirectory(scratch), "the build is running in " + scratch);

        cancel(request.build());

        Processes.awaitGone(LONG_SCRIPT);
        await("the scratch directory is removed").atMost(STOP_BOUND).until(() -> !Files.exists(scratch));
        awaitAcknowledged(buildId);
        assertEquals(List.of(), kafka.recordsWithin(Topics.BUILDS_COMPLETED, buildId, Duration.ofSeconds(2)));
        assertEquals(List.of(), kafka.recordsWithin(Topics.BUILDS_FAILED, buildId, Duration.ofSeconds(2)));
    }

    @Test
    void aRequestForAnAlreadyCancelledBuildIsSkippedAndAcknowledged() {
        String buildId = UUID.randomUUID().toString();
        BuildRequested request = request(buildId, "debian-12-skeleton");
        cancel(request.build());
        await("the worker learnt of the cancellation").atMost(TIMEOUT).until(() -> cancellations.isCancelled(buildId));

        send(request);

        awaitAcknowledged(buildId);
        assertEquals(List.of(), kafka.recordsWithin(Topics.BUILDS_STARTED, buildId, Duration.ofSeconds(2)));
        assertEquals(List.of(), kafka.recordsWithin(Topics.BUILDS_COMPLETED, buildId, Duration.ofSeconds(2)));
        assertEquals(List.of(), kafka.recordsWithin(Topics.BUILDS_FAILED, buildId, Duration.ofSeconds(2)));
    }

    @Test
    void aMalformedCancellationIsDeadLetteredAndLaterCancellationsStillArrive() {
        String poisonKey = UUID.randomUUID().toString();
        kafka.sendPlain(Topics.BUILDS_CANCELLED, poisonKey, "not an event");
        ConsumerRecord<String, String> dead = kafka.awaitRecords(Topics.deadLetter(Topics.BUILDS_CANCELLED), poisonKey,
                1, TIMEOUT).get(0);
        assertFalse(KafkaTestClient.header(dead, "dead-letter-reason").orElse("").isBlank(),
                "the dead letter carries the reason");

        String buildId = UUID.randomUUID().toString();
        cancel(request(buildId, "debian-12-skeleton").build());
        await("a later cancellation still arrives").atMost(TIMEOUT).until(() -> cancellations.isCancelled(buildId));
    }
}
