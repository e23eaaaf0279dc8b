package dev.byoos.pack.rest;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;

import dev.byoos.contract.ArtifactStored;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.PackPublished;
import dev.byoos.contract.PackRetired;
import dev.byoos.contract.Topics;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.KafkaTestClient;
import dev.byoos.testsupport.TestTokens;

/**
 * Deprecation and revocation on the real service, database, Kafka and registry: a submitter of the
 * owning team deprecates, only an admin revokes, both need a reason, are recorded once however often
 * they are asked for, show in the catalog and its audit trail, and are announced on
 * {@value Topics#PACKS_RETIRED} under one event id.
 */
@QuarkusTest
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "database", value = "pack_publisher"))
class PackRetirementTest {

    static final Duration TIMEOUT = Duration.ofSeconds(60);
    static final String ALICE = TestTokens.bearer("alice", "submitter", "team-a");
    static final String ALICE_VIEWER = TestTokens.bearer("carol", "viewer", "team-a");
    static final String BOB = TestTokens.bearer("bob", "submitter", "team-b");
    static final String ADMIN = TestTokens.bearer("root", "admin");

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    KafkaTestClient kafka;
    String pack;
    ArtifactStored artifact;
    PackPublished published;

    @BeforeEach
    void teamAPublishesAPack() {
        kafka = new KafkaTestClient(bootstrapServers);
        pack = "retire-" + UUID.randomUUID().toString().substring(0, 8);
        artifact = PackCatalogTest.artifact("team-a", pack);
        String buildId = artifact.build().buildId();
        kafka.sendCloudEvent(Topics.ARTIFACTS_STORED, buildId, EventTypes.ARTIFACT_STORED,
                UUID.randomUUID().toString(), EventJson.write(artifact));
        published = EventJson.read(kafka.awaitRecords(Topics.PACKS_PUBLISHED, buildId, 1, TIMEOUT).get(0).value(),
                PackPublished.class);
    }

    @AfterEach
    void disconnect() {
        kafka.close();
    }

    @Test
    void aSubmitterOfTheTeamDeprecatesOnceHoweverOftenAskedAndItIsAnnouncedUnderOneId() {
        Map<String, Object> first = post(ALICE, "deprecation", "superseded by 1.0.1").statusCode(200)
                .body("state", equalTo("deprecated"))
                .body("deprecated.reason", equalTo("superseded by 1.0.1"))
                .body("deprecated.by", equalTo("alice"))
                .body("revoked", nullValue())
                .extract().jsonPath().getMap("$");
        Map<String, Object> again = post(ALICE, "deprecation", "another reason").statusCode(200)
                .extract().jsonPath().getMap("$");
        assertEquals(first, again, "the first deprecation stands");

        given().header("Authorization", ALICE_VIEWER).get(versionPath()).then().statusCode(200)
                .body("lifecycle.state", equalTo("deprecated"))
                .body("lifecycle.deprecated.reason", equalTo("superseded by 1.0.1"));
        given().header("Authorization", ALICE_VIEWER).get("/api/v1/packs/" + pack + "/versions").then()
                .statusCode(200).body("[0].state", equalTo("deprecated"));
        given().header("Authorization", ALICE_VIEWER).get("/api/v1/packs/" + pack + "/audit").then().statusCode(200)
                .body("$", hasSize(2))
                .body("[0].action", equalTo("published"))
                .body("[0].buildId", equalTo(artifact.build().buildId()))
                .body("[1].action", equalTo("deprecated"))
                .body("[1].version", equalTo("1.0.0"))
                .body("[1].actor", equalTo("alice"))
                .body("[1].reason", equalTo("superseded by 1.0.1"));

        List<ConsumerRecord<String, String>> events = kafka.awaitRecords(Topics.PACKS_RETIRED,
                artifact.build().buildId(), 2, TIMEOUT);
        assertEquals(KafkaTestClient.header(events.get(0), "ce_id"), KafkaTestClient.header(events.get(1), "ce_id"));
        assertEquals(EventTypes.PACK_DEPRECATED, KafkaTestClient.header(events.get(0), "ce_type").orElseThrow());
        PackRetired announced = EventJson.read(events.get(1).value(), PackRetired.class);
        assertEquals(new PackRetired(pack, "1.0.0", "team-a", artifact.build().buildId(), published.manifestDigest(),
                artifact.sha256(), "superseded by 1.0.1", "alice", announced.at()), announced);
    }

    @Test
    void onlyAnAdminRevokesWithAReasonAndARevokedVersionIsNeverDeprecatedOrUnrevoked() {
        post(ALICE, "revocation", "bad kernel").statusCode(403).contentType("application/problem+json");
        post(ALICE_VIEWER, "deprecation", "old").statusCode(403);
        post(BOB, "deprecation", "not mine").statusCode(404);
        post(ADMIN, "revocation", " ").statusCode(400).body("detail", containsString("reason"));
        given().header("Authorization", ADMIN).contentType(ContentType.JSON).body("{}")
                .post(versionPath() + "/revocation").then().statusCode(400);
        post(ADMIN, "revocation", "x".repeat(1001)).statusCode(400);
        post(ADMIN, "revocation", "kernel\nINFO forged log line").statusCode(400);
        given().header("Authorization", ALICE_VIEWER).get("/api/v1/packs/" + pack + "/audit").then().statusCode(200)
                .body("$", hasSize(1));

        post(ALICE, "deprecation", "superseded").statusCode(200).body("state", equalTo("deprecated"));
        post(ADMIN, "revocation", "CVE-2026-0001 in the kernel").statusCode(200)
                .body("state", equalTo("revoked"))
                .body("revoked.reason", equalTo("CVE-2026-0001 in the kernel"))
                .body("revoked.by", equalTo("root"))
                .body("deprecated.reason", equalTo("superseded"));
        post(ALICE, "deprecation", "again").statusCode(409).body("detail", containsString("revoked"));
        post(ADMIN, "revocation", "once more").statusCode(200).body("revoked.reason",
                equalTo("CVE-2026-0001 in the kernel"));
        given().header("Authorization", ALICE_VIEWER).get(versionPath()).then().statusCode(200)
                .body("lifecycle.state", equalTo("revoked"));
        given().header("Authorization", ALICE_VIEWER).get("/api/v1/packs/" + pack + "/audit").then().statusCode(200)
                .body("action", equalTo(List.of("published", "deprecated", "revoked")));
        given().header("Authorization", BOB).get("/api/v1/packs/" + pack + "/audit").then().statusCode(404);

        ConsumerRecord<String, String> revoked = kafka.awaitRecords(Topics.PACKS_RETIRED,
                record -> artifact.build().buildId().equals(record.key()) && EventTypes.PACK_REVOKED
                        .equals(KafkaTestClient.header(record, "ce_type").orElse(null)), 1, TIMEOUT).get(0);
        assertEquals("root", EventJson.read(revoked.value(), PackRetired.class).actor());
        post(ADMIN, "revocation", "no such version", "/api/v1/packs/" + pack + "/versions/9.9.9").statusCode(404);
    }

    private String versionPath() {
        return "/api/v1/packs/" + pack + "/versions/1.0.0";
    }

    private ValidatableResponse post(String token, String action, String reason) {
        return post(token, action, reason, versionPath());
    }

    private static ValidatableResponse post(String token, String action, String reason, String version) {
        return given().header("Authorization", token).contentType(ContentType.JSON).body(Map.of("reason", reason))
                .post(version + "/" + action).then();
    }
}
