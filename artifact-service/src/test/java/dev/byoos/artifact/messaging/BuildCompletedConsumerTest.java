package dev.byoos.artifact.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.StatObjectArgs;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.byoos.artifact.observability.ArtifactMetrics;
import dev.byoos.contract.ArtifactStored;
import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildFailed;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.Topics;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.KafkaTestClient;
import dev.byoos.testsupport.PrometheusMetrics;

/** artifact-service against real Kafka, S3 and PostgreSQL. */
@QuarkusTest
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "database", value = "artifact_service"))
class BuildCompletedConsumerTest {

    static final Duration TIMEOUT = Duration.ofSeconds(30);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;
    @ConfigProperty(name = "byoos.s3.endpoint")
    String s3Endpoint;
    @ConfigProperty(name = "byoos.s3.access-key")
    String s3AccessKey;
    @ConfigProperty(name = "byoos.s3.secret-key")
    String s3SecretKey;
    @ConfigProperty(name = "byoos.s3.staging-bucket")
    String stagingBucket;
    @ConfigProperty(name = "byoos.s3.artifacts-bucket")
    String artifactsBucket;

    @Inject
    DataSource database;

    @TestHTTPResource("/q/metrics")
    URI metricsUrl;

    KafkaTestClient kafka;
    MinioClient s3;

    @BeforeEach
    void connect() {
        kafka = new KafkaTestClient(bootstrapServers);
        s3 = MinioClient.builder().endpoint(s3Endpoint).region("us-east-1").credentials(s3AccessKey, s3SecretKey).build();
    }

    @AfterEach
    void disconnect() {
        kafka.close();
    }

    /** Stages random bytes as build-worker would and returns the matching build.completed. */
    private BuildCompleted staged(String buildId, byte[] content, String reportedSha256) throws Exception {
        return staged(buildId, content, reportedSha256, "platform");
    }

    private BuildCompleted staged(String buildId, byte[] content, String reportedSha256, String team)
            throws Exception {
        String key = "builds/" + buildId + "/disk.qcow2";
        s3.putObject(PutObjectArgs.builder().bucket(stagingBucket).object(key)
                .stream(new ByteArrayInputStream(content), content.length, -1).build());
        return new BuildCompleted(new BuildCoordinates(buildId, team, "node", 1, "cd".repeat(32),
                new BuildCoordinates.OperatingSystem("debian", "12"), "1.30.4",
                new BuildCoordinates.Target("qemu", "qcow2"), new BuildCoordinates.Pack("p", "1.0.0", "P")),
                new BuildCompleted.StagedObject(stagingBucket, key, reportedSha256, content.length, "qcow2"),
                "native/test", 1);
    }

    private void send(BuildCompleted event) {
        kafka.sendCloudEvent(Topics.BUILDS_COMPLETED, event.build().buildId(), EventTypes.BUILD_COMPLETED,
                UUID.randomUUID().toString(), EventJson.write(event));
    }

    @Test
    void verifiesPromotesToTheContentAddressAndRecordsOnceEvenWhenRedelivered() throws Exception {
        String buildId = UUID.randomUUID().toString();
        byte[] content = UUID.randomUUID().toString().repeat(1000).getBytes();
        BuildCompleted completed = staged(buildId, content, sha256(content));
        send(completed);
        ConsumerRecord<String, String> first = kafka.awaitRecords(Topics.ARTIFACTS_STORED, buildId, 1, TIMEOUT).get(0);
        ArtifactStored stored = EventJson.read(first.value(), ArtifactStored.class);
        assertEquals("sha256/" + sha256(content), stored.key());
        assertEquals(artifactsBucket, stored.bucket());
        assertEquals(content.length, s3.statObject(StatObjectArgs.builder().bucket(artifactsBucket).object(stored.key())
                .build()).size());

        send(completed);
        List<ConsumerRecord<String, String>> both = kafka.awaitRecords(Topics.ARTIFACTS_STORED, buildId, 2, TIMEOUT);
        assertEquals(KafkaTestClient.header(first, "ce_id"), KafkaTestClient.header(both.get(1), "ce_id"));
        assertEquals(1, count("select count(*) from artifact where build_id = '" + buildId + "'"));
    }

    @Test
    void countsStoredRejectedAndRedeliveredArtifactsWithTheBytesAndTimeOfEachPromotion() throws Exception {
        String team = "metrics-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> artifact = Map.of("team", team, "cloud", "qemu", "format", "qcow2");
        byte[] content = UUID.randomUUID().toString().repeat(100).getBytes();
        BuildCompleted completed = staged(UUID.randomUUID().toString(), content, sha256(content), team);
        send(completed);
        send(completed);
        send(staged(UUID.randomUUID().toString(), "tampered".getBytes(), "00".repeat(32), team));

        awaitArtifacts(team, ArtifactMetrics.STORED, 1);
        awaitArtifacts(team, ArtifactMetrics.ALREADY_STORED, 1);
        awaitArtifacts(team, ArtifactMetrics.REJECTED, 1);
        PrometheusMetrics metrics = PrometheusMetrics.scrape(metricsUrl);
        assertEquals(content.length, metrics.sum("byoos_artifact_stored_bytes_total", artifact));
        assertEquals(1, metrics.sum("byoos_artifact_promotion_seconds_count", artifact));
    }

    private void awaitArtifacts(String team, String outcome, double expected) {
        PrometheusMetrics.awaitSum(metricsUrl, "byoos_artifacts_total", Map.of("team", team, "outcome", outcome),
                expected, TIMEOUT);
    }

    @Test
    void aChecksumMismatchFailsTheBuildAndStoresNothing() throws Exception {
        String buildId = UUID.randomUUID().toString();
        byte[] content = "tampered".getBytes();
        send(staged(buildId, content, "00".repeat(32)));
        BuildFailed failed = EventJson.read(kafka.awaitRecords(Topics.BUILDS_FAILED, buildId, 1, TIMEOUT).get(0).value(),
                BuildFailed.class);
        assertEquals("CHECKSUM_MISMATCH", failed.code());
        assertEquals("artifact", failed.stage());
        assertEquals(0, count("select count(*) from artifact where build_id = '" + buildId + "'"));
    }

    @Test
    void malformedEventsAreDeadLetteredAndTheNextEventStillFlows() throws Exception {
        Map<String, String> completions = Map.of("topic", Topics.BUILDS_COMPLETED);
        double deadLettersBefore = PrometheusMetrics.scrape(metricsUrl).sum("byoos_dead_letters_total", completions);
        String poisonKey = UUID.randomUUID().toString();
        kafka.sendCloudEvent(Topics.BUILDS_COMPLETED, poisonKey, EventTypes.BUILD_COMPLETED, UUID.randomUUID().toString(),
                "[]");
        kafka.awaitRecords(Topics.deadLetter(Topics.BUILDS_COMPLETED), poisonKey, 1, TIMEOUT);
        PrometheusMetrics.awaitSum(metricsUrl, "byoos_dead_letters_total", completions, deadLettersBefore + 1, TIMEOUT);

        String buildId = UUID.randomUUID().toString();
        byte[] content = "after the poison".getBytes();
        send(staged(buildId, content, sha256(content)));
        kafka.awaitRecords(Topics.ARTIFACTS_STORED, buildId, 1, TIMEOUT);
    }

    private long count(String sql) throws Exception {
        try (Connection connection = database.getConnection();
                ResultSet rows = connection.createStatement().executeQuery(sql)) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private static String sha256(byte[] content) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    }

    @Test
    void isReadyOnlyWithItsDependenciesReachable() {
        io.restassured.RestAssured.given().get("/q/health/ready").then()
                .statusCode(200)
                .body("checks.find { it.name == 's3-buckets' }.status", org.hamcrest.Matchers.equalTo("UP"));
    }
}
