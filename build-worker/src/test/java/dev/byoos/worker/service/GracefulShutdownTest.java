package dev.byoos.worker.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

import dev.byoos.contract.BuildCancelled;
import dev.byoos.contract.BuildRequested;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.Topics;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.KafkaTestClient;
import dev.byoos.worker.builder.Processes;
import dev.byoos.worker.config.WorkerConfig;
import dev.byoos.worker.messaging.TestBasesResource;
import dev.byoos.worker.storage.StagingStore;

/**
 * SIGTERM with a build that outlasts the grace period: the build is stopped, its request is left
 * unacknowledged (not dead-lettered, nothing announced) and its lease handed back, so the next
 * worker takes it over at once as the next attempt, counting no crash. The test fires the
 * ShutdownEvent Quarkus fires on SIGTERM, before the messaging connector closes.
 */
@QuarkusTest
@TestProfile(GracefulShutdownTest.ShortGrace.class)
@QuarkusTestResource(DevStackResource.class)
@QuarkusTestResource(TestBasesResource.class)
class GracefulShutdownTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final Duration QUIET = Duration.ofSeconds(2);
    /** A path of its own, so the test sees this build's process and no other test's. */
    private static final String SCRIPT = "/bin/sleep 307";

    public static class ShortGrace implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("byoos.worker.shutdown-grace-period", "1s");
        }
    }

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;
    @Inject
    WorkerConfig config;
    @Inject
    StagingStore staging;
    @Inject
    BuildService builds;

    @Test
    void aBuildStillRunningAfterTheGracePeriodIsStoppedAndHandedBackUnacknowledged() throws Exception {
        String buildId = UUID.randomUUID().toString();
        BuildRequested request = LeaseAcrossWorkersTest.request(buildId, SCRIPT);
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrapServers)) {
            kafka.sendCloudEvent(Topics.BUILDS_REQUESTED, buildId, EventTypes.BUILD_REQUESTED,
                    UUID.randomUUID().toString(), EventJson.write(request));
            kafka.awaitRecords(Topics.BUILDS_STARTED, buildId, 1, TIMEOUT);
            Processes.awaitStarted(SCRIPT, TIMEOUT);
            try {
                builds.onShutdown(new ShutdownEvent());

                Processes.awaitGone(SCRIPT);
                // Claims only: the store may list the attempts' directories too.
                List<LeaseClaim> claims = staging.list("builds/" + buildId + "/lease/").stream()
                        .filter(key -> key.endsWith(".json")).map(key -> EventJson.read(staging.getText(key, BuildLeases.MAX_CLAIM_BYTES).orElseThrow(), LeaseClaim.class)).toList();
                assertEquals(List.of(LeaseClaim.State.HANDED_BACK), claims.stream().map(LeaseClaim::state).toList());
                assertEquals(List.of(), kafka.recordsWithin(Topics.BUILDS_COMPLETED, buildId, QUIET));
                assertEquals(List.of(), kafka.recordsWithin(Topics.BUILDS_FAILED, buildId, QUIET));
                assertEquals(List.of(), kafka.recordsWithin(Topics.deadLetter(Topics.BUILDS_REQUESTED), buildId, QUIET));
                assertTrue(notAcknowledged(kafka, buildId), "the request's offset is not committed");

                // The next worker takes the build over at once, not a lease duration later, and counts no crash.
                BuildLeases.Acquired next = (BuildLeases.Acquired) new BuildLeases(staging, "next-worker",
                        config.lease().duration(), config.lease().renewalInterval(), Clock.systemUTC())
                        .tryAcquire(buildId, 0);
                assertEquals(2, next.lease().attempt());
                assertEquals(0, next.lease().crashedBefore());
            } finally {
                // The request stays in Kafka: the workers of later tests skip it instead of sleeping with it.
                kafka.sendCloudEvent(Topics.BUILDS_CANCELLED, buildId, EventTypes.BUILD_CANCELLED,
                        UUID.randomUUID().toString(), EventJson.write(new BuildCancelled(request.build(), "test")));
            }
        }
    }

    private static boolean notAcknowledged(KafkaTestClient kafka, String buildId) throws Exception {
        ConsumerRecord<String, String> record = kafka.awaitRecords(Topics.BUILDS_REQUESTED, buildId, 1, TIMEOUT).get(0);
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        try (Admin admin = Admin.create(kafka.clientConfig())) {
            OffsetAndMetadata committed = admin.listConsumerGroupOffsets("build-worker").partitionsToOffsetAndMetadata()
                    .get().get(partition);
            return committed == null || committed.offset() <= record.offset();
        }
    }
}
