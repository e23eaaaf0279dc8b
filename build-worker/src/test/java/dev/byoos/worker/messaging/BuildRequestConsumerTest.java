package dev.byoos.worker.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildFailed;
import dev.byoos.contract.BuildRequested;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.Topics;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.KafkaTestClient;

/** build-worker against real Kafka and S3: build, stage, announce; idempotent and dead-lettering. */
@QuarkusTest
@QuarkusTestResource(DevStackResource.class)
@QuarkusTestResource(TestBasesResource.class)
class BuildRequestConsumerTest extends WorkerKafkaTest {

    @Test
    void buildsStagesAndAnnouncesTheImageWithTheChecksumOfTheStagedBytes() throws Exception {
        String buildId = UUID.randomUUID().toString();
        send(request(buildId, "debian-12-skeleton"), UUID.randomUUID().toString());

        ConsumerRecord<String, String> record = kafka.awaitRecords(Topics.BUILDS_COMPLETED, buildId, 1, TIMEOUT).get(0);
        assertEquals(EventTypes.BUILD_COMPLETED, KafkaTestClient.header(record, "ce_type").orElseThrow());
        BuildCompleted completed = EventJson.read(record.value(), BuildCompleted.class);
        assertEquals("qcow2", completed.image().format());
        assertEquals("builds/" + buildId + "/disk.qcow2", completed.image().key());
        assertEquals(sha256Of(completed.image().bucket(), completed.image().key()), completed.image().sha256());
    }

    @Test
    void anOvaIsStagedUnderThePaletteTemplateName() throws Exception {
        String buildId = UUID.randomUUID().toString();
        send(request(buildId, "debian-12-skeleton", new BuildCoordinates.Target("vsphere", "ova")),
                UUID.randomUUID().toString());

        BuildCompleted completed = EventJson.read(
                kafka.awaitRecords(Topics.BUILDS_COMPLETED, buildId, 1, TIMEOUT).get(0).value(), BuildCompleted.class);
        assertEquals("ova", completed.image().format());
        assertEquals("builds/" + buildId + "/r_u-debian-12-k-1304.ova", completed.image().key());
        assertEquals(sha256Of(completed.image().bucket(), completed.image().key()), completed.image().sha256());
    }

    @Test
    void anOciRequestFailsAsNotBuildableWithoutRetry() {
        String buildId = UUID.randomUUID().toString();
        send(request(buildId, "debian-12-skeleton", new BuildCoordinates.Target("edge", "oci")),
                UUID.randomUUID().toString());

        BuildFailed failed = EventJson.read(kafka.awaitRecords(Topics.BUILDS_FAILED, buildId, 1, TIMEOUT).get(0).value(),
                BuildFailed.class);
        assertEquals("FORMAT_NOT_BUILDABLE", failed.code());
        assertFalse(failed.retryable());
    }

    @Test
    void aRedeliveredRequestReannouncesTheRecordedResultInsteadOfBuildingAgain() {
        String buildId = UUID.randomUUID().toString();
        BuildRequested request = request(buildId, "debian-12-skeleton");
        send(request, UUID.randomUUID().toString());
        ConsumerRecord<String, String> first = kafka.awaitRecords(Topics.BUILDS_COMPLETED, buildId, 1, TIMEOUT).get(0);

        send(request, UUID.randomUUID().toString());
        List<ConsumerRecord<String, String>> both = kafka.awaitRecords(Topics.BUILDS_COMPLETED, buildId, 2, TIMEOUT);
        // Same CloudEvent id and the very same payload (build duration included): nothing was rebuilt.
        assertEquals(KafkaTestClient.header(first, "ce_id"), KafkaTestClient.header(both.get(1), "ce_id"));
        assertEquals(first.value(), both.get(1).value());
    }

    @Test
    void aMissingBaseFailsTheBuildWithoutRetry() {
        String buildId = UUID.randomUUID().toString();
        send(request(buildId, "no-such-base"), UUID.randomUUID().toString());
        BuildFailed failed = EventJson.read(kafka.awaitRecords(Topics.BUILDS_FAILED, buildId, 1, TIMEOUT).get(0).value(),
                BuildFailed.class);
        assertEquals("BASE_NOT_FOUND", failed.code());
        assertFalse(failed.retryable());
    }

    @Test
    void malformedRequestsGoToTheDeadLetterTopicAndTheNextRequestStillBuilds() {
        String poisonKey = UUID.randomUUID().toString();
        kafka.sendCloudEvent(Topics.BUILDS_REQUESTED, poisonKey, EventTypes.BUILD_REQUESTED, UUID.randomUUID().toString(),
                "{\"build\": {\"buildId\": \"x\"}}");
        kafka.sendPlain(Topics.BUILDS_REQUESTED, poisonKey, "not an event");
        List<ConsumerRecord<String, String>> dead = kafka.awaitRecords(Topics.deadLetter(Topics.BUILDS_REQUESTED),
                poisonKey, 2, TIMEOUT);
        assertFalse(KafkaTestClient.header(dead.get(0), "dead-letter-reason").orElse("").isBlank(),
                "the dead letter carries the reason");

        String buildId = UUID.randomUUID().toString();
        send(request(buildId, "debian-12-skeleton"), UUID.randomUUID().toString());
        kafka.awaitRecords(Topics.BUILDS_COMPLETED, buildId, 1, TIMEOUT);
    }

    @Test
    void isReadyOnlyWithItsDependenciesReachable() {
        io.restassured.RestAssured.given().get("/q/health/ready").then()
                .statusCode(200)
                .body("checks.find { it.name == 's3-staging-bucket' }.status", org.hamcrest.Matchers.equalTo("UP"));
    }
}
