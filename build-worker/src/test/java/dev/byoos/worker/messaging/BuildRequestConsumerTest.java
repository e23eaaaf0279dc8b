package dev.byoos.worker.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.InputStream;
import java.net.URI;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.minio.GetObjectArgs;
import io.minio.MinioClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
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
import dev.byoos.testsupport.PrometheusMetrics;

/** build-worker against real Kafka and S3: build, stage, announce; idempotent and dead-lettering. */
@QuarkusTest
@QuarkusTestResource(DevStackResource.class)
@QuarkusTestResource(TestBasesResource.class)
class BuildRequestConsumerTest extends WorkerKafkaTest {

    @TestHTTPResource("/q/metrics")
    URI metricsUrl;

    @ConfigProperty(name = "byoos.s3.endpoint")
    String s3Endpoint;
    @ConfigProperty(name = "byoos.s3.access-key")
    String s3AccessKey;
    @ConfigProperty(name = "byoos.s3.secret-key")
    String s3SecretKey;

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
        Map<String, String> requests = Map.of("topic", Topics.BUILDS_REQUESTED);
        double deadLettersBefore = metrics().sum("byoos_dead_letters_total", requests);
        String poisonKey = UUID.randomUUID().toString();
        kafka.sendCloudEvent(Topics.BUILDS_REQUESTED, poisonKey, EventTypes.BUILD_REQUESTED, UUID.randomUUID().toString(),
                "{\"build\": {\"buildId\": \"x\"}}");
        kafka.sendPlain(Topics.BUILDS_REQUESTED, poisonKey, "not an event");
        List<ConsumerRecord<String, String>> dead = kafka.awaitRecords(Topics.deadLetter(Topics.BUILDS_REQUESTED),
                poisonKey, 2, TIMEOUT);
        assertFalse(KafkaTestClient.header(dead.get(0), "dead-letter-reason").orElse("").isBlank(),
                "the dead letter carries the reason");
        PrometheusMetrics.awaitSum(metricsUrl, "byoos_dead_letters_total", requests, deadLettersBefore + 2, TIMEOUT);

        String buildId = UUID.randomUUID().toString();
        send(request(buildId, "debian-12-skeleton"), UUID.randomUUID().toString());
        kafka.awaitRecords(Topics.BUILDS_COMPLETED, buildId, 1, TIMEOUT);
    }

    @Test
    void aBuildIsMeasuredFromItsQueueTimeThroughEveryPhaseToItsOutcome() throws Exception {
        String team = "metrics-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> build = Map.of("team", team, "cloud", "qemu", "format", "qcow2");
        assertEquals(2, metrics().sum("byoos_worker_slots"), "smallrye.messaging.worker.builds.max-concurrency");

        String buildId = UUID.randomUUID().toString();
        send(request(buildId, "debian-12-skeleton", new BuildCoordinates.Target("qemu", "qcow2"), team),
                UUID.randomUUID().toString());
        BuildCompleted completed = EventJson.read(
                kafka.awaitRecords(Topics.BUILDS_COMPLETED, buildId, 1, TIMEOUT).get(0).value(), BuildCompleted.class);

        // The outcome is recorded once the completion was announced.
        PrometheusMetrics.awaitSum(metricsUrl, "byoos_build_duration_seconds_count",
                Map.of("team", team, "outcome", "succeeded"), 1, TIMEOUT);
        PrometheusMetrics after = metrics();
        assertEquals(1, after.sum("byoos_build_queue_seconds_count", build));
        for (String phase : List.of("base", "layers", "disk", "formats", "boot-test", "upload")) {
            assertEquals(1, after.sum("byoos_build_phase_seconds_count", Map.of("team", team, "phase", phase)), phase);
        }
        assertEquals(completed.image().size(), after.sum("byoos_build_uploaded_bytes_total", build));
        assertEquals(0, after.sum("byoos_worker_slots_busy"), "the slot is given back");
    }

    private PrometheusMetrics metrics() {
        return PrometheusMetrics.scrape(metricsUrl);
    }

    private String sha256Of(String bucket, String key) throws Exception {
        MinioClient s3 = MinioClient.builder().endpoint(s3Endpoint).region("us-east-1")
                .credentials(s3AccessKey, s3SecretKey).build();
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        try (InputStream in = s3.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build())) {
            byte[] buffer = new byte[1 << 16];
            for (int read; (read = in.read(buffer)) > 0;) {
                digest.update(buffer, 0, read);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    @Test
    void isReadyOnlyWithItsDependenciesReachable() {
        io.restassured.RestAssured.given().get("/q/health/ready").then()
                .statusCode(200)
                .body("checks.find { it.name == 's3-staging-bucket' }.status", org.hamcrest.Matchers.equalTo("UP"));
    }
}
