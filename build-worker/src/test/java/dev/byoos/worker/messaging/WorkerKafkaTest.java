package dev.byoos.worker.messaging;

import java.time.Duration;
import java.util.List;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildRequested;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.Topics;
import dev.byoos.testsupport.KafkaTestClient;

/** What the worker's real-Kafka tests share: a plain Kafka client and build requests to send. */
abstract class WorkerKafkaTest {

    static final Duration TIMEOUT = Duration.ofSeconds(90);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

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

    void send(BuildRequested request, String eventId) {
        kafka.sendCloudEvent(Topics.BUILDS_REQUESTED, request.build().buildId(), EventTypes.BUILD_REQUESTED, eventId,
                EventJson.write(request));
    }
}
