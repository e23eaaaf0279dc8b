package dev.byoos.spec.rest;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.builder.RequestSpecBuilder;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;

import dev.byoos.contract.ArtifactStored;
import dev.byoos.contract.BuildCancelled;
import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildRequested;
import dev.byoos.contract.BuildStarted;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.PackPublished;
import dev.byoos.contract.PackRetired;
import dev.byoos.contract.SpecRejected;
import dev.byoos.contract.Topics;
import dev.byoos.spec.RequestedCoordinates;
import dev.byoos.spec.outbox.OutboxRelay;
import dev.byoos.spec.service.BuildProjection.BuildUpdate;
import dev.byoos.spec.service.BuildReadModel;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.KafkaTestClient;
import dev.byoos.testsupport.PrometheusMetrics;
import dev.byoos.testsupport.TestTokens;

/** spec-service against real Kafka and PostgreSQL: intake, outbox relay, and the build read model. */
@QuarkusTest
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "database", value = "spec_service"))
class SpecPipelineTest {

    static final Duration TIMEOUT = Duration.ofSeconds(30);
    static final String SHA = "ab".repeat(32);
    /** The credential of a submission event (IntakeTrustTest covers the refused ones). */
    static final Map<String, String> SUBMITTER = Map.of("authorization",
            TestTokens.bearer("pipeline-ci", "submitter", "platform"));

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @Inject
    DataSource database;

    @Inject
    BuildReadModel readModel;

    @Inject
    OutboxRelay relay;

    @TestHTTPResource("/q/metrics")
    URI metricsUrl;

    KafkaTestClient kafka;

    @BeforeEach
    void connect() {
        kafka = new KafkaTestClient(bootstrapServers);
        // These tests are about the pipeline, not authorization (AuthMatrixTest): an admin acts for every team.
        RestAssured.requestSpecification = new RequestSpecBuilder()
                .addHeader("Authorization", TestTokens.bearer("pipeline-test", "admin")).build();
    }

    @AfterEach
    void disconnect() {
        kafka.close();
        RestAssured.requestSpecification = null;
    }

    static String exampleSpec(String name) throws Exception {
        return Files.readString(Path.of("..", "examples", "debian-12-qemu.yaml"))
                .replace("name: debian-12-node", "name: " + name);
    }

    private ValidatableResponse submit(String yaml) {
        return given().contentType("application/yaml").body(yaml.getBytes(StandardCharsets.UTF_8)).when().post("/api/v1/specs").then();
    }

    private String submitAndGetBuildId(String name) throws Exception {
        return submit(exampleSpec(name)).statusCode(201).extract().path("builds[0].id");
    }

    @Test
    void storesAValidSpecAndPublishesItsBuildRequestThroughTheOutbox() throws Exception {
        String buildId = submitAndGetBuildId("outbox-" + shortId());

        List<ConsumerRecord<String, String>> requests = kafka.awaitRecords(Topics.BUILDS_REQUESTED, buildId, 1, TIMEOUT);
        ConsumerRecord<String, String> request = requests.get(0);
        assertEquals(EventTypes.BUILD_REQUESTED, KafkaTestClient.header(request, "ce_type").orElseThrow());
        assertEquals("urn:byoos:spec-service", KafkaTestClient.header(request, "ce_source").orElseThrow());
        BuildRequested requested = EventJson.read(request.value(), BuildRequested.class);
        assertEquals(buildId, requested.build().buildId());
        assertEquals("native", requested.builder(), "the target's builder travels with the request");
        assertEquals("manual", requested.trigger(), "a spec submitted through the API is a manual build");

        awaitState(buildId, "QUEUED").body("trigger", equalTo("manual"));
        assertEquals(0, count("select count(*) from outbox where published_at is null and message_key = '" + buildId + "'"));
    }

    @Test
    void aPinnedTarballBaseTravelsToTheWorkerInTheBuildRequest() throws Exception {
        String url = "https://images.mirror.example/debian/bookworm/debian-12-rootfs.tar.xz";
        String yaml = exampleSpec("tarball-" + shortId()).replace("      local: debian-12-skeleton\n",
                "      tarball:\n        url: " + url + "\n        sha256: " + SHA + "\n");
        String buildId = submit(yaml).statusCode(201).extract().path("builds[0].id");

        ConsumerRecord<String, String> request = kafka.awaitRecords(Topics.BUILDS_REQUESTED, buildId, 1, TIMEOUT).get(0);
        BuildRequested requested = EventJson.read(request.value(), BuildRequested.class);
        assertEquals(BuildRequested.BaseImage.of(new BuildRequested.Tarball(url, SHA)), requested.base());
    }

    @Test
    void rejectsAnInvalidSpecWithProblemDetailsAndWritesNothing() throws Exception {
        long specs = count("select count(*) from image_spec");
        long outbox = count("select count(*) from outbox");
        submit(exampleSpec("Bad_Name").replace("cloud: qemu", "cloud: moon") + "surprise: true\n")
                .statusCode(400)
                .contentType("application/problem+json")
                .body("status", equalTo(400))
                .body("violations.pointer", hasItem("/metadata/name"))
                .body("violations.pointer", hasItem("/spec/targets/0/cloud"))
                .body("violations.code", hasItem("UNKNOWN_FIELD"));
        assertEquals(specs, count("select count(*) from image_spec"));
        assertEquals(outbox, count("select count(*) from outbox"));
    }

    @Test
    void acceptsJsonAndRejectsUnsupportedMediaTypes() throws Exception {
        String json = Files.readString(Path.of("..", "examples", "debian-12-qemu.json"))
                .replace("\"debian-12-raw\"", "\"json-" + shortId() + "\"");
        given().contentType(ContentType.JSON).body(json.getBytes(StandardCharsets.UTF_8)).when().post("/api/v1/specs").then().statusCode(201);
        given().contentType("application/xml").body("<spec/>".getBytes(StandardCharsets.UTF_8)).when().post("/api/v1/specs").then()
                .statusCode(400).body("violations[0].code", equalTo("UNSUPPORTED_MEDIA_TYPE"));
    }

    @Test
    void resubmittingAnIdenticalSpecReturnsTheExistingBuilds() throws Exception {
        String yaml = exampleSpec("same-" + shortId());
        String first = submit(yaml).statusCode(201).extract().path("builds[0].id");
        submit(yaml).statusCode(200)
                .body("newVersion", equalTo(false))
                .body("version", equalTo(1))
                .body("builds[0].id", equalTo(first));
        submit(yaml.replace("role=worker", "role=control-plane").replace("version: 1.0.0", "version: 1.0.1")).statusCode(201).body("version", equalTo(2));
    }

    @Test
    void anEventOfABuildThisServiceNeverCreatedIsDeadLetteredAsAnUnknownBuild() throws Exception {
        Map<String, String> started = Map.of("topic", Topics.BUILDS_STARTED);
        Map<String, String> stored = Map.of("topic", Topics.ARTIFACTS_STORED);
        PrometheusMetrics before = PrometheusMetrics.scrape(metricsUrl);
        String unknown = UUID.randomUUID().toString();
        kafka.sendCloudEvent(Topics.BUILDS_STARTED, unknown, EventTypes.BUILD_STARTED, UUID.randomUUID().toString(),
                EventJson.write(new BuildStarted(madeUpCoordinates(unknown), "worker-1")));
        // All stage topics share one consumer; each poison record still goes to its own topic's DLQ.
        ConsumerRecord<String, String> deadLetter = kafka.awaitRecords(Topics.deadLetter(Topics.BUILDS_STARTED),
                unknown, 1, TIMEOUT).get(0);
        assertEquals("unknown build " + unknown, new String(deadLetter.headers().lastHeader("dead-letter-reason").value(),
                StandardCharsets.UTF_8), "the reason is the check's, not a database error");
        assertEquals(Topics.BUILDS_STARTED, new String(deadLetter.headers().lastHeader("dead-letter-topic").value(),
                StandardCharsets.UTF_8));
        kafka.sendCloudEvent(Topics.ARTIFACTS_STORED, unknown, EventTypes.ARTIFACT_STORED, UUID.randomUUID().toString(),
                EventJson.write(new ArtifactStored(madeUpCoordinates(unknown), "byoos-artifacts", "sha256/" + SHA,
                        "s3://byoos-artifacts/sha256/" + SHA, SHA, 42, "qcow2")));
        kafka.awaitRecords(Topics.deadLetter(Topics.ARTIFACTS_STORED), unknown, 1, TIMEOUT);
        PrometheusMetrics.awaitSum(metricsUrl, "byoos_dead_letters_total", started,
                before.sum("byoos_dead_letters_total", started) + 1, TIMEOUT);
        PrometheusMetrics.awaitSum(metricsUrl, "byoos_dead_letters_total", stored,
                before.sum("byoos_dead_letters_total", stored) + 1, TIMEOUT);
    }

    @Test
    void anEventContradictingItsBuildsRecordIsDeadLetteredAndChangesNothing() throws Exception {
        String buildId = submitAndGetBuildId("contradicted-" + shortId());
        BuildCoordinates requested = coordinates(buildId);
        awaitState(buildId, "QUEUED");
        // Another team's failure of this build, then one of another spec version: neither is this build's.
        BuildCoordinates otherTeam = new BuildCoordinates(buildId, "intruder", requested.specName(),
                requested.specVersion(), requested.specDigest(), requested.os(), requested.kubernetesVersion(),
                requested.target(), requested.pack());
        BuildCoordinates otherSpec = new BuildCoordinates(buildId, requested.team(), requested.specName(),
                requested.specVersion(), SHA, requested.os(), requested.kubernetesVersion(), requested.target(),
                requested.pack());
        List<String> forged = new ArrayList<>();
        for (BuildCoordinates claimed : List.of(otherTeam, otherSpec)) {
            String eventId = UUID.randomUUID().toString();
            forged.add(eventId);
            kafka.sendCloudEvent(Topics.BUILDS_FAILED, buildId, EventTypes.BUILD_FAILED, eventId,
                    EventJson.write(new dev.byoos.contract.BuildFailed(claimed, "publish", "PACK_NAME_TAKEN",
                            "the pack name belongs to another team", false, "spec", 1)));
        }

        List<ConsumerRecord<String, String>> deadLetters = kafka.awaitRecords(Topics.deadLetter(Topics.BUILDS_FAILED),
                buildId, 2, TIMEOUT);
        for (ConsumerRecord<String, String> deadLetter : deadLetters) {
            String reason = new String(deadLetter.headers().lastHeader("dead-letter-reason").value(), StandardCharsets.UTF_8);
            assertTrue(reason.startsWith("BUILD_CONTRADICTS_RECORD: build " + buildId + " was requested for team "
                    + requested.team() + ", spec " + requested.specName() + "@" + requested.specVersion()), reason);
        }
        // The build's own event still moves it: the forged ones changed nothing and left no timeline entry.
        kafka.sendCloudEvent(Topics.BUILDS_STARTED, buildId, EventTypes.BUILD_STARTED, UUID.randomUUID().toString(),
                EventJson.write(new BuildStarted(requested, "worker-1")));
        awaitState(buildId, "BUILDING").body("failure", nullValue());
        assertEquals(0, count("select count(*) from build_event where event_id in ('" + String.join("','", forged) + "')"));
    }

    @Test
    void appliesEachEventOnceAndDeadLettersMalformedOnesWithoutStopping() throws Exception {
        Map<String, String> packsPublished = Map.of("topic", Topics.PACKS_PUBLISHED);
        double deadLettersBefore = metrics().sum("byoos_dead_letters_total", packsPublished);
        String buildId = submitAndGetBuildId("events-" + shortId());
        BuildCoordinates coordinates = coordinates(buildId);
        String stored = EventJson.write(new ArtifactStored(coordinates, "byoos-artifacts", "sha256/" + SHA,
                "s3://byoos-artifacts/sha256/" + SHA, SHA, 42, "qcow2"));
        String storedEventId = UUID.randomUUID().toString();
        kafka.sendCloudEvent(Topics.ARTIFACTS_STORED, buildId, EventTypes.ARTIFACT_STORED, storedEventId, stored);
        kafka.sendCloudEvent(Topics.ARTIFACTS_STORED, buildId, EventTypes.ARTIFACT_STORED, storedEventId, stored);
        awaitState(buildId, "STORED");

        kafka.sendCloudEvent(Topics.PACKS_PUBLISHED, buildId, EventTypes.PACK_PUBLISHED, UUID.randomUUID().toString(),
                "{not json");
        kafka.sendPlain(Topics.PACKS_PUBLISHED, buildId, "{}");
        String published = EventJson.write(new PackPublished(coordinates, "registry/byoos/spectro-packs/archive/p:1.0.0",
                "sha256:" + SHA, "s3://byoos-artifacts/sha256/" + SHA));
        kafka.sendCloudEvent(Topics.PACKS_PUBLISHED, buildId, EventTypes.PACK_PUBLISHED, UUID.randomUUID().toString(),
                published);

        List<ConsumerRecord<String, String>> deadLetters = kafka.awaitRecords(Topics.deadLetter(Topics.PACKS_PUBLISHED),
                buildId, 2, TIMEOUT);
        assertEquals(2, deadLetters.size());
        awaitMetric("byoos_dead_letters_total", packsPublished, deadLettersBefore + 2);
        awaitState(buildId, "PUBLISHED")
                .body("artifact.sha256", equalTo(SHA))
                .body("pack.reference", equalTo("registry/byoos/spectro-packs/archive/p:1.0.0"));
        assertEquals(1, count("select count(*) from build_event where event_id = '" + storedEventId + "'"),
                "the redelivered event was recorded once");

        // A late, out-of-order event cannot move a published build backwards.
        // Same key, same partition: once the second event is recorded, the first was applied.
        kafka.sendCloudEvent(Topics.ARTIFACTS_STORED, buildId, EventTypes.ARTIFACT_STORED, UUID.randomUUID().toString(),
                stored);
        String marker = UUID.randomUUID().toString();
        kafka.sendCloudEvent(Topics.ARTIFACTS_STORED, buildId, EventTypes.ARTIFACT_STORED, marker, stored);
        awaitCount("select count(*) from build_event where event_id = '" + marker + "'", 1);
        given().get("/api/v1/builds/" + buildId).then().body("state", equalTo("PUBLISHED"));
    }

    @Test
    void aStartedBuildIsBuildingAndACancelledOneStaysCancelledAndTellsTheWorkers() throws Exception {
        String buildId = submitAndGetBuildId("cancel-" + shortId());
        awaitState(buildId, "QUEUED");
        kafka.sendCloudEvent(Topics.BUILDS_STARTED, buildId, EventTypes.BUILD_STARTED, UUID.randomUUID().toString(),
                EventJson.write(new BuildStarted(coordinates(buildId), "worker-a")));
        awaitState(buildId, "BUILDING");

        given().post("/api/v1/builds/" + buildId + "/cancel").then().statusCode(200).body("state", equalTo("CANCELLED"));
        ConsumerRecord<String, String> announced = kafka.awaitRecords(Topics.BUILDS_CANCELLED, buildId, 1, TIMEOUT).get(0);
        assertEquals(EventTypes.BUILD_CANCELLED, KafkaTestClient.header(announced, "ce_type").orElseThrow());
        BuildCancelled cancelled = EventJson.read(announced.value(), BuildCancelled.class);
        assertEquals(buildId, cancelled.build().buildId());
        assertEquals("byoos-debian-12", cancelled.build().pack().name());

        // A worker that had not started it yet reports late: the cancel still stops it.
        String marker = UUID.randomUUID().toString();
        kafka.sendCloudEvent(Topics.BUILDS_STARTED, buildId, EventTypes.BUILD_STARTED, marker,
                EventJson.write(new BuildStarted(coordinates(buildId), "worker-b")));
        awaitCount("select count(*) from build_event where event_id = '" + marker + "'", 1);
        given().get("/api/v1/builds/" + buildId).then()
                .body("state", equalTo("CANCELLED"))
                .body("cancelledBy", equalTo("pipeline-test"))
                .body("cancelTooLate", nullValue())
                .body("timeline.type", hasItem(EventTypes.BUILD_CANCELLED));

        given().post("/api/v1/builds/" + buildId + "/cancel").then().statusCode(409);
        given().post("/api/v1/builds/" + buildId + "/retry").then().statusCode(202).body("attempt", equalTo(2));
    }

    @Test
    void aCancelTheWorkerOvertookFollowsThePipelineAndSaysItCameTooLate() throws Exception {
        String buildId = submitAndGetBuildId("cancel-late-" + shortId());
        awaitState(buildId, "QUEUED");
        given().post("/api/v1/builds/" + buildId + "/cancel").then().statusCode(200).body("state", equalTo("CANCELLED"));

        // The worker finished before it heard of the cancel: artifact-service stores the image and
        // pack-publisher publishes it, so the build must not go on claiming CANCELLED.
        kafka.sendCloudEvent(Topics.BUILDS_COMPLETED, buildId, EventTypes.BUILD_COMPLETED, UUID.randomUUID().toString(),
                EventJson.write(new BuildCompleted(coordinates(buildId),
                        new BuildCompleted.StagedObject("byoos-staging", "builds/x/disk.qcow2", SHA, 42, "qcow2"), "native", 5)));
        awaitState(buildId, "BUILT");
        given().get("/api/v1/builds/" + buildId).then()
                .body("cancelledBy", equalTo("pipeline-test"))
                .body("cancelTooLate", equalTo(true))
                .body("timeline.type", hasItem(EventTypes.BUILD_CANCELLED));

        given().post("/api/v1/builds/" + buildId + "/cancel").then().statusCode(409)
                .contentType("application/problem+json")
                .body("type", equalTo("https://byoos.dev/problems/too-late-to-cancel"));
        given().post("/api/v1/builds/" + buildId + "/retry").then().statusCode(409);
    }

    @Test
    void aBuiltBuildIsNotCancelledButRefusedWithTooLateToCancel() throws Exception {
        String buildId = submitAndGetBuildId("cancel-built-" + shortId());
        awaitState(buildId, "QUEUED");
        kafka.sendCloudEvent(Topics.BUILDS_COMPLETED, buildId, EventTypes.BUILD_COMPLETED, UUID.randomUUID().toString(),
                EventJson.write(new BuildCompleted(coordinates(buildId),
                        new BuildCompleted.StagedObject("byoos-staging", "builds/x/disk.qcow2", SHA, 42, "qcow2"), "native", 5)));
        awaitState(buildId, "BUILT");

        given().post("/api/v1/builds/" + buildId + "/cancel").then().statusCode(409)
                .contentType("application/problem+json")
                .body("type", equalTo("https://byoos.dev/problems/too-late-to-cancel"))
                .body("detail", containsString("is BUILT"));
        given().get("/api/v1/builds/" + buildId).then()
                .body("state", equalTo("BUILT"))
                .body("cancelledBy", nullValue());
        assertEquals(0, count("select count(*) from outbox where message_key = '" + buildId + "' and event_type = '"
                + EventTypes.BUILD_CANCELLED + "'"), "no worker is told to stop a build that is past them");
    }

    @Test
    void aRequestKafkaRefusesIsSetAsideAndFailsItsBuildWithoutHoldingUpTheNextOne() throws Exception {
        // Intake refuses a request this large (OutboxRecords); written straight into the outbox, it
        // stands for one that gets past it. Its build is put back to ACCEPTED, as if never sent.
        String stuck = submitAndGetBuildId("unsendable-" + shortId());
        awaitState(stuck, "QUEUED");
        String oversized = UUID.randomUUID().toString();
        try (Connection connection = database.getConnection()) {
            connection.createStatement().executeUpdate("update build set state = 'ACCEPTED' where id = '" + stuck + "'");
        }
        insertOutboxRecord(oversized, Topics.BUILDS_REQUESTED, EventTypes.BUILD_REQUESTED, stuck,
                "{\"padding\":\"" + "x".repeat(1_100_000) + "\"}");
        String next = submitAndGetBuildId("after-unsendable-" + shortId());

        awaitState(stuck, "FAILED").body("failure.code", equalTo("REQUEST_NOT_SENDABLE"))
                .body("failure.category", equalTo("spec"));
        assertEquals(1, count("select count(*) from outbox where event_id = '" + oversized
                + "' and set_aside_at is not null and published_at is null"), "set aside, never marked sent");
        awaitState(next, "QUEUED");
        assertEquals(1, kafka.recordsWithin(Topics.BUILDS_REQUESTED, next, Duration.ofSeconds(3)).size(),
                "the build beside it was sent once, not with every failed batch");
    }

    @Test
    void aRequestWhoseKeyIsNoBuildIsSetAsideUnsentWithoutHoldingUpTheNextOne() throws Exception {
        // Intake keys every request by its build's id; a row keyed otherwise used to fail every relay
        // pass after it was sent, resending its batch each second and relaying nothing behind it.
        String keyless = UUID.randomUUID().toString();
        String key = "not-a-build-" + shortId();
        insertOutboxRecord(keyless, Topics.BUILDS_REQUESTED, EventTypes.BUILD_REQUESTED, key, "{}");
        String next = submitAndGetBuildId("after-keyless-" + shortId());

        awaitState(next, "QUEUED");
        assertEquals(1, kafka.recordsWithin(Topics.BUILDS_REQUESTED, next, Duration.ofSeconds(3)).size(),
                "the build beside it was sent once, not with every failed batch");
        assertEquals(1, count("select count(*) from outbox where event_id = '" + keyless + "' and published_at is null"
                + " and set_aside_reason like '%''" + key + "'' is not a build id%'"), "set aside with its reason");
        assertEquals(0, kafka.recordsWithin(Topics.BUILDS_REQUESTED, key, Duration.ofSeconds(1)).size(), "never sent");
    }

    @Test
    void aRecordForATopicOfANewerReleaseWaitsForItWithoutHoldingUpTheNextOne() throws Exception {
        // Written by a newer spec-service during a rollout: this release does not publish its topic.
        String newer = UUID.randomUUID().toString();
        insertOutboxRecord(newer, "byoos.builds.paused", "dev.byoos.build.paused.v1", UUID.randomUUID().toString(), "{}");
        String next = submitAndGetBuildId("after-newer-" + shortId());

        awaitState(next, "QUEUED");
        assertEquals(1, kafka.recordsWithin(Topics.BUILDS_REQUESTED, next, Duration.ofSeconds(3)).size(),
                "the build behind it was sent once, not with every failed batch");
        assertEquals(1, count("select count(*) from outbox where event_id = '" + newer + "' and published_at is null"
                + " and set_aside_at is null"), "left for a release that publishes its topic, not set aside");
        awaitMetric("byoos_outbox_backlog", Map.of(), 1);

        try (Connection connection = database.getConnection()) {
            connection.createStatement().executeUpdate("delete from outbox where event_id = '" + newer + "'");
        }
        relay.countForOtherReleases().await().atMost(TIMEOUT);
        awaitMetric("byoos_outbox_backlog", Map.of(), 0);
    }

    @Test
    void theBootTestOfABuiltImageIsPartOfTheBuildRecord() throws Exception {
        String buildId = submitAndGetBuildId("boot-" + shortId());
        awaitState(buildId, "QUEUED");
        given().get("/api/v1/builds/" + buildId).then().body("bootTest", nullValue());

        kafka.sendCloudEvent(Topics.BUILDS_COMPLETED, buildId, EventTypes.BUILD_COMPLETED, UUID.randomUUID().toString(),
                EventJson.write(new BuildCompleted(coordinates(buildId),
                        new BuildCompleted.StagedObject("byoos-staging", "builds/x/disk.qcow2", SHA, 42, "qcow2"), "native", 5,
                        new BuildCompleted.BootTest("passed", "tcg", 21_500))));
        awaitState(buildId, "BUILT");

        given().get("/api/v1/builds/" + buildId).then()
                .body("bootTest.result", equalTo("passed"))
                .body("bootTest.detail", equalTo("tcg"))
                .body("bootTest.durationMillis", equalTo(21_500));
    }

    @Test
    void anIdenticalSpecWhosePackIsPublishedIsReusedUnlessForced() throws Exception {
        String name = "reuse-" + shortId();
        String buildId = submitAndGetBuildId(name);
        awaitState(buildId, "QUEUED");
        publish(buildId);

        String reused = submit(exampleSpec(name)).statusCode(200)
                .body("builds[0].state", equalTo("REUSED"))
                .body("builds[0].reusedFrom", equalTo(buildId))
                .extract().path("builds[0].id");
        given().get("/api/v1/builds/" + reused).then()
                .body("state", equalTo("REUSED"))
                .body("artifact.sha256", equalTo(SHA))
                .body("pack.reference", equalTo("registry/byoos/spectro-packs/archive/p:1.0.0"));
        assertEquals(0, count("select count(*) from outbox where message_key = '" + reused + "'"),
                "a reused build requests no work");

        // Reusing again points at the same published build, not at the reused one.
        submit(exampleSpec(name)).statusCode(200).body("builds[0].reusedFrom", equalTo(buildId));

        String forced = given().contentType("application/yaml").body(exampleSpec(name).getBytes(StandardCharsets.UTF_8))
                .queryParam("force", true).when().post("/api/v1/specs").then().statusCode(200)
                .body("builds[0].state", equalTo("ACCEPTED"))
                .extract().path("builds[0].id");
        kafka.awaitRecords(Topics.BUILDS_REQUESTED, forced, 1, TIMEOUT);
        awaitState(forced, "QUEUED");
    }

    @Test
    void anIdenticalSpecWhosePackWasRevokedIsRefusedNeitherReusedNorBuiltAgain() throws Exception {
        String name = "revoked-" + shortId();
        String buildId = submitAndGetBuildId(name);
        awaitState(buildId, "QUEUED");
        publish(buildId);
        String revocation = UUID.randomUUID().toString();
        kafka.sendCloudEvent(Topics.PACKS_RETIRED, buildId, EventTypes.PACK_REVOKED, revocation,
                EventJson.write(new PackRetired("p", "1.0.0", "platform", buildId, "sha256:" + SHA, SHA,
                        "CVE-2026-0001 in the kernel", "root", "2026-12-05T07:00:00Z")));
        awaitCount("select count(*) from build_event where event_id = '" + revocation + "'", 1);
        given().get("/api/v1/builds/" + buildId).then().body("state", equalTo("PUBLISHED"));

        for (String force : List.of("false", "true")) {
            given().contentType("application/yaml").queryParam("force", force)
                    .body(exampleSpec(name).getBytes(StandardCharsets.UTF_8))
                    .post("/api/v1/specs").then().statusCode(409).contentType("application/problem+json")
                    .body("type", containsString("pack-version-revoked"))
                    .body("detail", containsString("revoked"))
                    .body("detail", containsString("/rebuilds"));
        }
        assertEquals(1, count("select count(*) from build b join image_spec s on b.spec_id = s.id where s.name = '" + name + "'"), "nothing was built again");
    }

    @Test
    void aBuildIsPublishedOnlyOnceItsArtifactIsKnownWhateverOrderTheEventsArriveIn() throws Exception {
        String buildId = submitAndGetBuildId("late-" + shortId());
        awaitState(buildId, "QUEUED");
        // The read model consumes each topic on its own: here it hears of the pack first.
        String packEvent = UUID.randomUUID().toString();
        kafka.sendCloudEvent(Topics.PACKS_PUBLISHED, buildId, EventTypes.PACK_PUBLISHED, packEvent,
                EventJson.write(new PackPublished(coordinates(buildId), "registry/byoos/spectro-packs/archive/p:1.0.0",
                        "sha256:" + SHA, "s3://byoos-artifacts/sha256/" + SHA)));
        awaitCount("select count(*) from build_event where event_id = '" + packEvent + "'", 1);
        given().get("/api/v1/builds/" + buildId).then().body("state", equalTo("QUEUED"))
                .body("pack.reference", equalTo("registry/byoos/spectro-packs/archive/p:1.0.0"));

        kafka.sendCloudEvent(Topics.ARTIFACTS_STORED, buildId, EventTypes.ARTIFACT_STORED, UUID.randomUUID().toString(),
                EventJson.write(new ArtifactStored(coordinates(buildId), "byoos-artifacts", "sha256/" + SHA,
                        "s3://byoos-artifacts/sha256/" + SHA, SHA, 42, "qcow2")));
        awaitState(buildId, "PUBLISHED").body("artifact.sha256", equalTo(SHA))
                // It passed through STORED on its way, and the timeline says so, in order.
                .body("transitions.state", contains("ACCEPTED", "QUEUED", "STORED", "PUBLISHED"));
    }

    @Test
    void aStateIsDatedByTheStatementThatEnteredItNotByWhenItsTransactionBegan() throws Exception {
        try (Connection writer = database.getConnection()) {
            // Like the outbox relay: a transaction that began before the build existed changes it later.
            writer.setAutoCommit(false);
            writer.createStatement().execute("select 1");
            String buildId = submitAndGetBuildId("dated-" + shortId());
            awaitState(buildId, "QUEUED");
            writer.createStatement().execute("update build set state = 'BUILDING' where id = '" + buildId + "'");
            writer.commit();
            given().get("/api/v1/builds/" + buildId).then()
                    .body("transitions.state", contains("ACCEPTED", "QUEUED", "BUILDING"));
        }
    }

    @Test
    void aSubmissionThatLosesTheRaceForItsVersionIsStoredAsTheNextOne() throws Exception {
        String name = "version-race-" + shortId();
        String yaml = exampleSpec(name);
        String template = "race-template-" + shortId();
        submit(exampleSpec(template).replace("version: 1.0.0", "version: 0.9.0")).statusCode(201);
        try (Connection holder = database.getConnection()) {
            // Another submission of the spec is storing version 1 (another document) and has not committed yet.
            holder.setAutoCommit(false);
            holder.createStatement().execute("insert into image_spec (id, team, name, version, digest, document,"
                    + " pack_version, created_at) select '" + UUID.randomUUID() + "', team, '" + name + "', 1, '"
                    + "a".repeat(64) + "', replace(document, '" + template + "', '" + name + "'), pack_version, now()"
                    + " from image_spec where name = '" + template + "'");
            CompletableFuture<ValidatableResponse> racing = CompletableFuture.supplyAsync(() -> submit(yaml));
            // This one read no version, so it writes version 1 too and waits on the unique key.
            awaitCount("select count(*) from pg_stat_activity where datname = current_database()"
                    + " and wait_event_type = 'Lock'", 1);
            holder.commit();
            // It lost; tried again, it sees the winner's version 1 and is stored as version 2.
            racing.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS).statusCode(201).body("version", equalTo(2));
        }
        assertEquals(2, count("select count(*) from image_spec where name = '" + name + "'"), "both versions");
        assertEquals(1, count("select count(*) from build b join image_spec s on s.id = b.spec_id where s.name = '"
                + name + "' and s.version = 2"), "the build of the submission that lost the race once");
        assertEquals(1, count("select count(*) from outbox o join build b on b.id::text = o.message_key"
                + " join image_spec s on s.id = b.spec_id where s.name = '" + name + "'"), "one build request");
    }

    @Test
    void anArtifactAndAPackAppliedAtTheSameTimeEachSeeTheOtherAndTheBuildIsPublished() throws Exception {
        String buildId = submitAndGetBuildId("race-" + shortId());
        awaitState(buildId, "QUEUED");
        CompletableFuture<Void> otherReplica;
        try (Connection holder = database.getConnection()) {
            // Holding the build's row lock lines both up, so they apply their events as one.
            holder.setAutoCommit(false);
            holder.createStatement().execute("select id from build where id = '" + buildId + "' for no key update");
            kafka.sendCloudEvent(Topics.PACKS_PUBLISHED, buildId, EventTypes.PACK_PUBLISHED, UUID.randomUUID().toString(),
                    EventJson.write(new PackPublished(coordinates(buildId), "registry/byoos/spectro-packs/archive/p:1.0.0",
                            "sha256:" + SHA, "s3://byoos-artifacts/sha256/" + SHA)));
            // A replica reads every stage topic through one consumer, in order; two events of one build
            // meet only on two replicas (their topics' partitions assigned apart). This test's read model
            // call is the other replica.
            String stored = EventJson.write(new ArtifactStored(coordinates(buildId), "byoos-artifacts", "sha256/" + SHA,
                    "s3://byoos-artifacts/sha256/" + SHA, SHA, 42, "qcow2"));
            otherReplica = readModel.record(UUID.randomUUID().toString(), EventTypes.ARTIFACT_STORED,
                    "urn:byoos:artifact-service", java.time.OffsetDateTime.now(),
                    BuildUpdate.parse(EventTypes.ARTIFACT_STORED, stored)).subscribeAsCompletionStage();
            // Both wait for the lock: to read the build (locked reads), or only to write what they read before.
            awaitCount("select count(*) from pg_stat_activity where datname = current_database()"
                    + " and wait_event_type = 'Lock'", 2);
            holder.commit();
        }
        otherReplica.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        awaitState(buildId, "PUBLISHED").body("artifact.sha256", equalTo(SHA))
                .body("pack.reference", equalTo("registry/byoos/spectro-packs/archive/p:1.0.0"));
    }

    private void publish(String buildId) {
        kafka.sendCloudEvent(Topics.ARTIFACTS_STORED, buildId, EventTypes.ARTIFACT_STORED, UUID.randomUUID().toString(),
                EventJson.write(new ArtifactStored(coordinates(buildId), "byoos-artifacts", "sha256/" + SHA,
                        "s3://byoos-artifacts/sha256/" + SHA, SHA, 42, "qcow2")));
        try {
            // As in the pipeline: the pack is published after the artifact is stored.
            awaitState(buildId, "STORED");
            kafka.sendCloudEvent(Topics.PACKS_PUBLISHED, buildId, EventTypes.PACK_PUBLISHED, UUID.randomUUID().toString(),
                    EventJson.write(new PackPublished(coordinates(buildId), "registry/byoos/spectro-packs/archive/p:1.0.0",
                            "sha256:" + SHA, "s3://byoos-artifacts/sha256/" + SHA)));
            awaitState(buildId, "PUBLISHED");
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void countsEachBuildTransitionOnceEvenWhenItsEventsAreRedelivered() throws Exception {
        String team = "metrics-" + shortId();
        Map<String, String> build = Map.of("team", team, "cloud", "qemu", "format", "qcow2");
        String yaml = exampleSpec("metrics-" + shortId()).replace("team: platform", "team: " + team)
                .replace("name: byoos-debian-12\n", "name: pack-" + team + "\n");
        String buildId = submit(yaml).statusCode(201).extract().path("builds[0].id");
        awaitMetric("byoos_builds_requested_total", build, 1);

        String started = EventJson.write(new BuildStarted(coordinates(buildId), "worker-1"));
        String startedEventId = UUID.randomUUID().toString();
        kafka.sendCloudEvent(Topics.BUILDS_STARTED, buildId, EventTypes.BUILD_STARTED, startedEventId, started);
        kafka.sendCloudEvent(Topics.BUILDS_STARTED, buildId, EventTypes.BUILD_STARTED, startedEventId, started);
        // Same key, same partition: once this third one is recorded, both before it were applied.
        String marker = UUID.randomUUID().toString();
        kafka.sendCloudEvent(Topics.BUILDS_STARTED, buildId, EventTypes.BUILD_STARTED, marker, started);
        awaitCount("select count(*) from build_event where event_id = '" + marker + "'", 1);
        assertEquals(1, metrics().sum("byoos_builds_started_total", build));

        publish(buildId);
        awaitMetric("byoos_builds_finished_total", Map.of("team", team, "outcome", "succeeded"), 1);

        submit(yaml).statusCode(200).body("builds[0].state", equalTo("REUSED"));
        awaitMetric("byoos_builds_finished_total", Map.of("team", team, "outcome", "reused"), 1);
        PrometheusMetrics after = metrics();
        assertEquals(1, after.sum("byoos_builds_requested_total", build), "a reused build requests no work");
        // Once the relay's passes have caught up the gauge reads zero; it is not refreshed in the same instant.
        awaitMetric("byoos_outbox_backlog", Map.of(), 0);
    }

    private PrometheusMetrics metrics() {
        return PrometheusMetrics.scrape(metricsUrl);
    }

    private void awaitMetric(String name, Map<String, String> labels, double expected) {
        PrometheusMetrics.awaitSum(metricsUrl, name, labels, expected, TIMEOUT);
    }

    @Test
    void isReadyOnlyWithItsDependenciesReachable() {
        // Without PostgreSQL or Kafka these checks answer DOWN and readiness 503.
        given().get("/q/health/ready").then()
                .statusCode(200)
                .body("checks.find { it.name == 'Reactive PostgreSQL connections health check' }.status", equalTo("UP"))
                .body("checks.find { it.name == 'SmallRye Reactive Messaging - readiness check' }.status", equalTo("UP"));
    }

    @Test
    void aDryRunShowsTheSpecWithDefaultsAndStoresNothing() throws Exception {
        long specs = count("select count(*) from image_spec");
        given().contentType("application/yaml").body(exampleSpec("dry-" + shortId()).getBytes(StandardCharsets.UTF_8))
                .when().post("/api/v1/specs/validate").then()
                .statusCode(200)
                .body("valid", equalTo(true))
                .body("spec.spec.kubernetes.containerd", equalTo("1.7.13"))
                .body("spec.spec.targets[0].format", equalTo("qcow2"));
        // A spec without base or display name: the dry run shows the ones it would be stored with.
        given().contentType("application/yaml").body(Files.readAllBytes(Path.of("..", "examples", "debian-12-tiny.yaml")))
                .when().post("/api/v1/specs/validate").then()
                .statusCode(200)
                .body("spec.spec.os.base.debootstrap.suite", equalTo("bookworm"))
                .body("spec.spec.os.base.debootstrap.mirror", equalTo("http://127.0.0.1:9/debian")) // %test's default
                .body("spec.spec.pack.displayName", equalTo("byoos-debian-12-tiny"));
        given().contentType("application/yaml").body("kind: Nope\n".getBytes(StandardCharsets.UTF_8))
                .when().post("/api/v1/specs/validate").then()
                .statusCode(400)
                .body("violations.pointer", hasItem("/apiVersion"));
        assertEquals(specs, count("select count(*) from image_spec"));
    }

    @Test
    void servesTheImageSpecJsonSchema() {
        given().get("/api/v1/schema").then()
                .statusCode(200)
                .contentType("application/schema+json")
                .body("$id", equalTo("https://byoos.dev/schemas/imagespec.v1alpha1.schema.json"));
    }

    @Test
    void aSpecSubmittedAsABinaryCloudEventByAPlainKafkaClientStartsItsBuild() throws Exception {
        String name = "kafka-" + shortId();
        String submissionId = UUID.randomUUID().toString();
        kafka.sendCloudEvent(Topics.SPECS_SUBMITTED, submissionId, EventTypes.SPEC_SUBMITTED, submissionId,
                "application/yaml", exampleSpec(name), SUBMITTER);
        awaitCount("select count(*) from image_spec where name = '" + name + "'", 1);
        awaitCount("select count(*) from outbox o join build b on b.id::text = o.message_key "
                + "join image_spec s on s.id = b.spec_id where s.name = '" + name + "' and o.published_at is not null", 1);

        // Redelivered (or sent twice): the identical spec makes no second version or build.
        kafka.sendCloudEvent(Topics.SPECS_SUBMITTED, submissionId, EventTypes.SPEC_SUBMITTED, submissionId,
                "application/yaml", exampleSpec(name), SUBMITTER);
        String marker = "kafka-marker-" + shortId();
        kafka.sendCloudEvent(Topics.SPECS_SUBMITTED, submissionId, EventTypes.SPEC_SUBMITTED, UUID.randomUUID().toString(),
                "application/yaml", exampleSpec(marker), SUBMITTER);
        awaitCount("select count(*) from image_spec where name = '" + marker + "'", 1);
        assertEquals(1, count("select count(*) from image_spec where name = '" + name + "'"));
        assertEquals(1, count("select count(*) from build b join image_spec s on s.id = b.spec_id where s.name = '"
                + name + "' and b.build_trigger = 'event'"), "a spec submitted by event makes an event build");
    }

    @Test
    void aSpecSubmittedAsAStructuredCloudEventStartsItsBuild() throws Exception {
        String name = "structured-" + shortId();
        String id = UUID.randomUUID().toString();
        var event = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode()
                .put("specversion", "1.0").put("id", id).put("type", EventTypes.SPEC_SUBMITTED)
                .put("source", "urn:ci:pipeline").put("datacontenttype", "application/yaml")
                .put("data", exampleSpec(name))
                .put("authorization", SUBMITTER.get("authorization"));
        kafka.sendStructuredCloudEvent(Topics.SPECS_SUBMITTED, id, event.toString());
        awaitCount("select count(*) from image_spec where name = '" + name + "'", 1);
    }

    @Test
    void anInvalidSubmittedSpecIsAnsweredWithEveryViolationAndStoresNothing() throws Exception {
        String submissionId = UUID.randomUUID().toString();
        kafka.sendCloudEvent(Topics.SPECS_SUBMITTED, submissionId, EventTypes.SPEC_SUBMITTED, submissionId,
                "application/yaml", exampleSpec("Bad_Name").replace("cloud: qemu", "cloud: moon"), SUBMITTER);
        ConsumerRecord<String, String> answer = kafka.awaitRecords(Topics.SPECS_REJECTED, submissionId, 1, TIMEOUT).get(0);
        assertEquals(EventTypes.SPEC_REJECTED, KafkaTestClient.header(answer, "ce_type").orElseThrow());
        SpecRejected rejected = EventJson.read(answer.value(), SpecRejected.class);
        assertEquals(submissionId, rejected.submissionId());
        assertEquals(KafkaTestClient.TEST_SOURCE, rejected.submissionSource());
        assertEquals(List.of("/metadata/name", "/spec/targets/0/cloud"),
                rejected.violations().stream().map(SpecRejected.Violation::pointer).toList());
        assertEquals(0, count("select count(*) from image_spec where name = 'Bad_Name'"));
    }

    @Test
    void recordsThatAreNotSpecSubmissionsAreDeadLettered() {
        String key = UUID.randomUUID().toString();
        kafka.sendPlain(Topics.SPECS_SUBMITTED, key, "apiVersion: byoos.dev/v1alpha1");
        kafka.sendCloudEvent(Topics.SPECS_SUBMITTED, key, EventTypes.BUILD_REQUESTED, UUID.randomUUID().toString(), "{}");
        kafka.awaitRecords(Topics.deadLetter(Topics.SPECS_SUBMITTED), key, 2, TIMEOUT);
    }

    @Test
    void listsSpecsVersionsAndBuildsByTeamStateAndTime() throws Exception {
        String team = "list-" + shortId();
        String before = java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC).minusSeconds(5).toString();
        String first = exampleSpec("alpha").replace("team: platform", "team: " + team)
                .replace("name: byoos-debian-12\n", "name: pack-" + team + "\n");
        submit(first).statusCode(201);
        submit(first.replace("role=worker", "role=edge").replace("version: 1.0.0", "version: 1.0.1")).statusCode(201);
        submit(exampleSpec("beta").replace("team: platform", "team: " + team)
                .replace("name: byoos-debian-12\n", "name: pack-" + team + "\n")).statusCode(201);

        given().get("/api/v1/specs?team=" + team).then().statusCode(200)
                .body("total", equalTo(2))
                .body("items.name", org.hamcrest.Matchers.contains("alpha", "beta"))
                .body("items.latestVersion", org.hamcrest.Matchers.contains(2, 1));
        given().get("/api/v1/specs/alpha/versions/1?team=" + team).then().statusCode(200)
                .body("version", equalTo(1))
                .body("document.metadata.team", equalTo(team))
                .body("document.spec.kubernetes.containerd", equalTo("1.7.13"))
                .body("builds.size()", equalTo(1));
        given().get("/api/v1/specs/alpha/versions/9?team=" + team).then().statusCode(404);

        given().get("/api/v1/builds?team=" + team + "&since=" + before).then().statusCode(200)
                .body("total", equalTo(3))
                .body("items[0].spec", equalTo("beta")).body("items[0].trigger", equalTo("manual"));
        given().get("/api/v1/builds?team=" + team + "&size=2&page=1").then().statusCode(200)
                .body("items.size()", equalTo(1));
        given().get("/api/v1/builds?team=" + team + "&state=FAILED").then().statusCode(200).body("total", equalTo(0));
        given().get("/api/v1/builds?state=LOST").then().statusCode(400).contentType("application/problem+json");
        given().get("/api/v1/builds?since=yesterday").then().statusCode(400);
        given().get("/api/v1/builds?size=1000").then().statusCode(400);
    }

    @Test
    void aFailedBuildCanBeRetriedOnceAsItsNextAttempt() throws Exception {
        String failed = submitAndGetBuildId("retry-" + shortId());
        given().post("/api/v1/builds/" + failed + "/retry").then().statusCode(409)
                .contentType("application/problem+json");

        kafka.sendCloudEvent(Topics.BUILDS_FAILED, failed, EventTypes.BUILD_FAILED, UUID.randomUUID().toString(),
                EventJson.write(new dev.byoos.contract.BuildFailed(coordinates(failed), "build", "TOOL_TIMEOUT",
                        "mke2fs did not finish", true)));
        awaitState(failed, "FAILED").body("failure.code", equalTo("TOOL_TIMEOUT"));

        String retry = given().post("/api/v1/builds/" + failed + "/retry").then().statusCode(202)
                .body("attempt", equalTo(2)).body("trigger", equalTo("retry"))
                .extract().path("id");
        kafka.awaitRecords(Topics.BUILDS_REQUESTED, retry, 1, TIMEOUT);
        awaitState(retry, "QUEUED").body("trigger", equalTo("retry"));
        assertEquals("retry", EventJson.read(kafka.awaitRecords(Topics.BUILDS_REQUESTED, retry, 1, TIMEOUT).get(0).value(),
                BuildRequested.class).trigger());
        given().post("/api/v1/builds/" + failed + "/retry").then().statusCode(409)
                .body("detail", org.hamcrest.Matchers.containsString(retry));
        given().post("/api/v1/builds/" + UUID.randomUUID() + "/retry").then().statusCode(404);
    }

    @Test
    void aRetriedSubmissionWithTheSameIdempotencyKeyGetsTheFirstOutcome() throws Exception {
        String key = "deploy-" + UUID.randomUUID();
        String name = "idem-" + shortId();
        String yaml = exampleSpec(name);
        String build = given().header("Idempotency-Key", key).contentType("application/yaml")
                .body(yaml.getBytes(StandardCharsets.UTF_8)).post("/api/v1/specs").then()
                .statusCode(201).extract().path("builds[0].id");
        given().header("Idempotency-Key", key).contentType("application/yaml")
                .body(yaml.getBytes(StandardCharsets.UTF_8)).post("/api/v1/specs").then()
                .statusCode(201)
                .body("builds[0].id", equalTo(build));
        given().header("Idempotency-Key", key).contentType("application/yaml")
                .body(yaml.replace("role=worker", "role=other").replace("version: 1.0.0", "version: 1.0.1").getBytes(StandardCharsets.UTF_8)).post("/api/v1/specs")
                .then().statusCode(422).contentType("application/problem+json");
        given().header("Idempotency-Key", "has spaces").contentType("application/yaml")
                .body(yaml.getBytes(StandardCharsets.UTF_8)).post("/api/v1/specs").then().statusCode(400);
        assertEquals(1, count("select count(*) from image_spec where name = '" + name + "'"));
    }

    @Test
    void unknownBuildsAreProblemDetailsToo() {
        given().get("/api/v1/builds/" + UUID.randomUUID()).then().statusCode(404).contentType("application/problem+json");
        given().get("/api/v1/builds/not-a-uuid").then().statusCode(404).contentType("application/problem+json");
    }

    private ValidatableResponse awaitState(String buildId, String state) {
        return await("build " + buildId + " " + state).atMost(TIMEOUT).pollInterval(Duration.ofMillis(100))
                .until(() -> given().get("/api/v1/builds/" + buildId).then().statusCode(200),
                        response -> state.equals(response.extract().path("state")));
    }

    private void awaitCount(String sql, long expected) {
        await(sql + " = " + expected).atMost(TIMEOUT).pollInterval(Duration.ofMillis(100))
                .until(() -> count(sql) == expected);
    }

    /** An unsent outbox record written straight into the table, as intake or another release could have. */
    private void insertOutboxRecord(String eventId, String topic, String eventType, String key, String payload)
            throws Exception {
        try (Connection connection = database.getConnection();
                PreparedStatement insert = connection.prepareStatement("insert into outbox (event_id, topic,"
                        + " event_type, message_key, payload, created_at) values (?, ?, ?, ?, ?, now())")) {
            insert.setString(1, eventId);
            insert.setString(2, topic);
            insert.setString(3, eventType);
            insert.setString(4, key);
            insert.setString(5, payload);
            insert.executeUpdate();
        }
    }

    private long count(String sql) throws Exception {
        try (Connection connection = database.getConnection();
                ResultSet rows = connection.createStatement().executeQuery(sql)) {
            rows.next();
            return rows.getLong(1);
        }
    }

    /** What spec-service requested the build with: any other coordinates contradict its record. */
    private BuildCoordinates coordinates(String buildId) {
        return RequestedCoordinates.of(kafka, buildId);
    }

    /** For a build spec-service never created. */
    private static BuildCoordinates madeUpCoordinates(String buildId) {
        return new BuildCoordinates(buildId, "platform", "events", 1, SHA,
                new BuildCoordinates.OperatingSystem("debian", "12"), "1.30.4",
                new BuildCoordinates.Target("qemu", "qcow2"), new BuildCoordinates.Pack("p", "1.0.0", "P"));
    }

    private static String shortId() {
        return UUID.randomUUID().toString().substring(0, 8);
    }
}
