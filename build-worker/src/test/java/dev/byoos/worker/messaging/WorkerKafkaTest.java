package dev.byoos.worker.messaging;

import static org.awaitility.Awaitility.await;

import java.io.InputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import io.minio.GetObjectArgs;
import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import io.minio.MinioClient;

import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildFailed;
import dev.byoos.contract.BuildRequested;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.Topics;
import dev.byoos.testsupport.KafkaTestClient;

/** What the worker's real-Kafka tests share: a plain Kafka client and build requests to send. */
abstract class WorkerKafkaTest {

    static final Duration TIMEOUT = Duration.ofSeconds(90);
    static final String REQUESTS_GROUP = "build-worker";

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @ConfigProperty(name = "byoos.s3.endpoint")
    String s3Endpoint;
    @ConfigProperty(name = "byoos.s3.access-key")
    String s3AccessKey;
    @ConfigProperty(name = "byoos.s3.secret-key")
    String s3SecretKey;

    KafkaTestClient kafka;

    @BeforeEach
    void connect() {
        kafka = new KafkaTestClient(bootstrapServers);
    }

    @AfterEach
    void disconnect() {
        kafka.close();
    }

    static BuildRequested request(String buildId, String base) {
        return request(buildId, base, new BuildCoordinates.Target("qemu", "qcow2"));
    }

    static BuildRequested request(String buildId, String base, BuildCoordinates.Target target) {
        return request(buildId, base, target, "platform");
    }

    static BuildRequested request(String buildId, String base, BuildCoordinates.Target target, String team) {
        return new BuildRequested(new BuildCoordinates(buildId, team, "node", 1, "cd".repeat(32),
                new BuildCoordinates.OperatingSystem("debian", "12"), "1.30.4",
                target, new BuildCoordinates.Pack("p", "1.0.0", "P")),
                new BuildRequested.BaseImage(base),
                List.of(new BuildRequested.FileCustomization("/etc/motd", "hello\n", "0644")));
    }

    /** A request whose post script is {@code script} (timeout 600 s). */
    /**
     * A build whose post script runs {@code script}. The build id is in the script too: images are
     * reproducible, so without it the image cache (which outlives a test run) would serve an
     * earlier run's build and the script would never run.
     */
    static BuildRequested requestWithPostScript(String buildId, String base, String script) {
        BuildRequested plain = request(buildId, base);
        return new BuildRequested(plain.build(), plain.base(), plain.files(), BuildRequested.STANDARD, null, null,
                null, null, null, List.of(new BuildRequested.Script("wait", "post", script + "\n# " + buildId + "\n", 600)));
    }

    void send(BuildRequested request, String eventId) {
        kafka.sendCloudEvent(Topics.BUILDS_REQUESTED, request.build().buildId(), EventTypes.BUILD_REQUESTED, eventId,
                EventJson.write(request));
    }

    /** @return the first build.failed of {@code buildId} */
    BuildFailed awaitFailure(String buildId) {
        return EventJson.read(kafka.awaitRecords(Topics.BUILDS_FAILED, buildId, 1, TIMEOUT).get(0).value(),
                BuildFailed.class);
    }

    /** Waits until the worker's group has committed an offset past the build's request. */
    void awaitAcknowledged(String buildId) {
        ConsumerRecord<String, String> request = kafka.awaitRecords(Topics.BUILDS_REQUESTED, buildId, 1, TIMEOUT).get(0);
        TopicPartition partition = new TopicPartition(request.topic(), request.partition());
        try (Admin admin = Admin.create(kafka.clientConfig())) {
            await("the request of build " + buildId + " is acknowledged").atMost(TIMEOUT).until(() -> {
                OffsetAndMetadata committed = admin.listConsumerGroupOffsets(REQUESTS_GROUP)
                        .partitionsToOffsetAndMetadata().get().get(partition);
                return committed != null && committed.offset() > request.offset();
            });
        }
    }

    /**
     * What the worker's readiness says it waits for ({@code s3}, {@code kafka}), with the check's
     * status: {@code "UP "} while it waits for nothing, {@code "DOWN s3"} while it waits out S3.
     */
    static String readinessWaits() {
        JsonPath ready = RestAssured.get("/q/health/ready").jsonPath();
        String check = "checks.find { it.name == 'dependency-waits' }";
        return ready.getString(check + ".status") + " " + ready.getString(check + ".data.waitingFor");
    }

    /** The sha256 of what S3 holds under the key, read back with a client of the test's own. */
    String sha256Of(String bucket, String key) throws Exception {
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
}
