package dev.byoos.spec.rest;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;

import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildStarted;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.Topics;
import dev.byoos.spec.RequestedCoordinates;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.KafkaTestClient;
import dev.byoos.testsupport.TestTokens;

/**
 * The dead-letter admin API on real Kafka and PostgreSQL. A dead letter is written as SmallRye's
 * dead-letter strategy writes one (the record, its CloudEvent headers, the dead-letter-* headers),
 * here a build.started that a consumer could not record at the time.
 */
@QuarkusTest
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "database", value = "spec_service"))
class DeadLetterApiTest {

    static final Duration TIMEOUT = Duration.ofSeconds(30);
    static final String ADMIN = TestTokens.bearer("dead-letter-admin", "admin");
    static final String DEAD_LETTERS = "/api/v1/admin/dead-letters";
    static final String STARTED_DLQ = Topics.deadLetter(Topics.BUILDS_STARTED);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @Inject
    DataSource database;

    KafkaTestClient kafka;

    @BeforeEach
    void connect() {
        kafka = new KafkaTestClient(bootstrapServers);
    }

    @AfterEach
    void disconnect() {
        kafka.close();
    }

    @Test
    void aDeadLetterIsListedAndReplayedOnceToItsTopicWhereItsConsumerAppliesIt() throws Exception {
        String buildId = submit();
        String eventId = UUID.randomUUID().toString();
        String id = deadLetter(buildId, eventId, started(buildId));

        ValidatableResponse listed = given().header("Authorization", ADMIN).get(DEAD_LETTERS + "?limit=500").then()
                .statusCode(200);
        String entry = "deadLetters.find { it.id == '" + id + "' }";
        listed.body(entry + ".topic", equalTo(STARTED_DLQ))
                .body(entry + ".originalTopic", equalTo(Topics.BUILDS_STARTED))
                .body(entry + ".reason", equalTo("PostgreSQL did not answer"))
                .body(entry + ".buildId", equalTo(buildId))
                .body(entry + ".eventType", equalTo(EventTypes.BUILD_STARTED))
                .body(entry + ".eventId", equalTo(eventId))
                .body(entry + ".timestamp", notNullValue())
                .body(entry + ".consumerGroup", nullValue())
                .body(entry + ".replayedAt", nullValue());
        List<String> timestamps = listed.extract().path("deadLetters.timestamp");
        for (int i = 1; i < timestamps.size(); i++) {
            assertTrue(OffsetDateTime.parse(timestamps.get(i - 1)).compareTo(OffsetDateTime.parse(timestamps.get(i))) >= 0,
                    "newest first: " + timestamps);
        }

        String replayedAt = replay(id).statusCode(202).body("id", equalTo(id)).body("eventId", equalTo(eventId))
                .body("replayedAt", notNullValue()).extract().path("replayedAt");
        awaitState(buildId, "BUILDING");
        // Again: nothing is sent, and the answer is the same entry.
        replay(id).statusCode(200).body("id", equalTo(id)).body("replayedAt", equalTo(replayedAt));
        given().header("Authorization", ADMIN).get(DEAD_LETTERS + "?limit=500").then()
                .body(entry + ".replayedAt", equalTo(replayedAt));

        // Same key, same partition: once the marker is there, every replay before it is too.
        String marker = UUID.randomUUID().toString();
        kafka.sendPlain(Topics.BUILDS_STARTED, buildId, marker);
        List<ConsumerRecord<String, String>> onTopic = kafka.awaitRecords(Topics.BUILDS_STARTED,
                record -> buildId.equals(record.key()), 2, TIMEOUT);
        List<ConsumerRecord<String, String>> replayed = onTopic.stream()
                .filter(record -> eventId.equals(KafkaTestClient.header(record, "ce_id").orElse(null))).toList();
        assertEquals(1, replayed.size(), "replayed once");
        ConsumerRecord<String, String> record = replayed.get(0);
        assertEquals(started(buildId), record.value());
        assertEquals(EventTypes.BUILD_STARTED, KafkaTestClient.header(record, "ce_type").orElseThrow());
        assertTrue(KafkaTestClient.header(record, "dead-letter-reason").isEmpty(), "the dead-letter headers stay behind");
    }

    @Test
    void aReplayRequestedButNeverSentIsSentByTheNextReplay() throws Exception {
        String buildId = submit();
        String id = deadLetter(buildId, UUID.randomUUID().toString(), started(buildId));
        // What a crash between remembering the replay and Kafka's acknowledgement leaves behind.
        try (Connection connection = database.getConnection(); PreparedStatement insert = connection.prepareStatement(
                "insert into dead_letter_replay (id, requested_at, requested_by) values (?, now(), 'crashed')")) {
            insert.setString(1, id);
            insert.executeUpdate();
        }
        replay(id).statusCode(202).body("replayedAt", notNullValue());
        awaitState(buildId, "BUILDING");
    }

    @Test
    void aPipelineEventOfABuildThisInstallationNeverCreatedIsNotReplayed() throws Exception {
        String stranger = UUID.randomUUID().toString();
        String id = deadLetter(stranger, UUID.randomUUID().toString(), EventJson.write(new BuildStarted(
                new BuildCoordinates(stranger, "platform", "dlq", 1, "ab".repeat(32),
                        new BuildCoordinates.OperatingSystem("debian", "12"), "1.30.4",
                        new BuildCoordinates.Target("qemu", "qcow2"), new BuildCoordinates.Pack("p", "1.0.0", "P")),
                "worker-1")));
        given().header("Authorization", ADMIN).post(DEAD_LETTERS + "/" + id + "/replay").then().statusCode(409)
                .contentType("application/problem+json");
        given().header("Authorization", ADMIN).get(DEAD_LETTERS + "?limit=500").then()
                .body("deadLetters.find { it.id == '" + id + "' }.replayedAt", nullValue());
    }

    @Test
    void malformedIdsAre400UnknownOnes404AndOnlyAdminsMayAsk() {
        given().header("Authorization", ADMIN).post(DEAD_LETTERS + "/not-an-id/replay").then().statusCode(400)
                .contentType("application/problem+json");
        given().header("Authorization", ADMIN).post(DEAD_LETTERS + "/" + Topics.BUILDS_STARTED + ":0:1/replay").then()
                .statusCode(400).contentType("application/problem+json");
        given().header("Authorization", ADMIN).post(DEAD_LETTERS + "/byoos.elsewhere.dlq:0:0/replay").then()
                .statusCode(404).contentType("application/problem+json");
        given().header("Authorization", ADMIN).post(DEAD_LETTERS + "/" + STARTED_DLQ + ":0:999999999/replay").then()
                .statusCode(404).contentType("application/problem+json");
        given().header("Authorization", ADMIN).get(DEAD_LETTERS + "?limit=0").then().statusCode(400)
                .contentType("application/problem+json");
        String submitter = TestTokens.bearer("dead-letter-submitter", "submitter", "platform");
        given().header("Authorization", submitter).get(DEAD_LETTERS).then().statusCode(403);
        given().header("Authorization", submitter).post(DEAD_LETTERS + "/" + STARTED_DLQ + ":0:0/replay").then()
                .statusCode(403);
        given().get(DEAD_LETTERS).then().statusCode(401);
    }

    private String submit() throws Exception {
        String name = "dlq-" + UUID.randomUUID().toString().substring(0, 8);
        String buildId = given().header("Authorization", ADMIN).contentType("application/yaml")
                .body(SpecPipelineTest.exampleSpec(name).getBytes(StandardCharsets.UTF_8))
                .post("/api/v1/specs").then().statusCode(201).extract().path("builds[0].id");
        awaitState(buildId, "QUEUED");
        return buildId;
    }

    /** Writes a build.started of {@code buildId} to its dead-letter topic as the connector would; returns its id. */
    private String deadLetter(String buildId, String eventId, String started) throws Exception {
        ProducerRecord<String, String> record = new ProducerRecord<>(STARTED_DLQ, buildId, started);
        Map.of("ce_specversion", "1.0", "ce_id", eventId, "ce_source", KafkaTestClient.TEST_SOURCE,
                "ce_type", EventTypes.BUILD_STARTED, "content-type", "application/json",
                "dead-letter-reason", "PostgreSQL did not answer", "dead-letter-topic", Topics.BUILDS_STARTED,
                "dead-letter-partition", "0", "dead-letter-offset", "0")
                .forEach((name, value) -> record.headers().add(name, value.getBytes(StandardCharsets.UTF_8)));
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(kafka.clientConfig(), new StringSerializer(),
                new StringSerializer())) {
            RecordMetadata written = producer.send(record).get();
            return written.topic() + ":" + written.partition() + ":" + written.offset();
        }
    }

    private String started(String buildId) {
        return EventJson.write(new BuildStarted(RequestedCoordinates.of(kafka, buildId), "worker-1"));
    }

    private static ValidatableResponse replay(String id) {
        return given().header("Authorization", ADMIN).post(DEAD_LETTERS + "/" + id + "/replay").then()
                .contentType("application/json");
    }

    private static void awaitState(String buildId, String state) {
        await("build " + buildId + " " + state).atMost(TIMEOUT).pollInterval(Duration.ofMillis(100))
                .until(() -> given().header("Authorization", ADMIN).get("/api/v1/builds/" + buildId).then()
                        .extract().path("state"), state::equals);
    }
}
