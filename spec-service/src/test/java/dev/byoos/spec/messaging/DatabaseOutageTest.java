package dev.byoos.spec.messaging;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildStarted;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.Topics;
import dev.byoos.spec.RequestedCoordinates;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.Endpoints;
import dev.byoos.testsupport.KafkaTestClient;
import dev.byoos.testsupport.TestStack;
import dev.byoos.testsupport.TestTokens;

/**
 * PostgreSQL stopped under a running spec-service: an event arriving meanwhile waits for the
 * database (readiness says so) and is applied once it is back, instead of being dead-lettered.
 *
 * <p>The outage is the test stack's own PostgreSQL server stopped and started again on the same
 * data directory and port (the devstack's outage switch, {@link TestStack#outage}).
 */
@QuarkusTest
@TestProfile(DatabaseOutageTest.ShortBackoff.class)
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "database", value = "spec_service"))
class DatabaseOutageTest {

    static final Duration TIMEOUT = Duration.ofSeconds(60);
    static final String ADMIN = TestTokens.bearer("outage-test", "admin");

    /** A short cap, so the consumer's next attempt comes soon after the database is back. */
    public static class ShortBackoff implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("byoos.spec.consumers.initial-backoff", "200ms", "byoos.spec.consumers.max-backoff", "1s");
        }
    }

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @Test
    void anEventArrivingWhileTheDatabaseIsDownWaitsForItAndIsAppliedNotDeadLettered() throws Exception {
        String name = "outage-" + UUID.randomUUID().toString().substring(0, 8);
        String buildId = given().header("Authorization", ADMIN).contentType("application/yaml")
                .body(Files.readString(Path.of("..", "examples", "debian-12-qemu.yaml"))
                        .replace("name: debian-12-node", "name: " + name).getBytes(StandardCharsets.UTF_8))
                .post("/api/v1/specs").then().statusCode(201).extract().path("builds[0].id");
        awaitState(buildId, "QUEUED");

        String eventId = UUID.randomUUID().toString();
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrapServers)) {
            BuildCoordinates coordinates = RequestedCoordinates.of(kafka, buildId);
            try (AutoCloseable outage = TestStack.outage(TestStack.Server.POSTGRES)) {
                kafka.sendCloudEvent(Topics.BUILDS_STARTED, buildId, EventTypes.BUILD_STARTED, eventId,
                        EventJson.write(new BuildStarted(coordinates, "worker-1")));
                // Waiting, and saying what for, rather than dead-lettering.
                await("readiness naming the database").atMost(TIMEOUT).pollInterval(Duration.ofMillis(200))
                        .until(() -> given().get("/q/health/ready").then().extract()
                                .path("checks.find { it.name == 'event-consumers' }.data.waitingFor"), "database"::equals);
            }
            awaitState(buildId, "BUILDING");
            given().get("/q/health/ready").then().statusCode(200)
                    .body("checks.find { it.name == 'event-consumers' }.status", equalTo("UP"));

            // Same key, same partition: a marker dead-lettered after the event shows whether the event was too.
            String marker = UUID.randomUUID().toString();
            kafka.sendPlain(Topics.BUILDS_STARTED, buildId, marker);
            List<ConsumerRecord<String, String>> deadLetters = kafka.awaitRecords(Topics.deadLetter(Topics.BUILDS_STARTED),
                    record -> buildId.equals(record.key()), 1, TIMEOUT);
            assertEquals(List.of(marker), deadLetters.stream().map(ConsumerRecord::value).toList(),
                    "only the marker was dead-lettered");
        }
    }

    private static void awaitState(String buildId, String state) {
        await("build " + buildId + " " + state).atMost(TIMEOUT).pollInterval(Duration.ofMillis(200))
                .until(() -> given().header("Authorization", ADMIN).get("/api/v1/builds/" + buildId).then()
                        .extract().path("state"), state::equals);
    }
}
