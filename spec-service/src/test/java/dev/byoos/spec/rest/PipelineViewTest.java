package dev.byoos.spec.rest;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;

import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildFailed;
import dev.byoos.contract.BuildProgress;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.Topics;
import dev.byoos.spec.RequestedCoordinates;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.KafkaTestClient;
import dev.byoos.testsupport.TestTokens;

/**
 * What the pipeline page reads, against real Kafka and PostgreSQL: stage progress and failure
 * categories in the build read model, state transitions, the team-scoped summary and the live stream.
 */
@QuarkusTest
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "database", value = "spec_service"))
class PipelineViewTest {

    static final Duration TIMEOUT = Duration.ofSeconds(30);
    static final String SHA = "cd".repeat(32);
    static final ObjectMapper JSON = new ObjectMapper();
    static final String ADMIN = TestTokens.token("view-admin", "admin");

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @TestHTTPResource("/api/v1/pipeline/events")
    URL events;

    KafkaTestClient kafka;
    /** Each test works in teams of its own, so counts and lists hold only its builds. */
    String team;
    String otherTeam;
    int deadLettered;

    @BeforeEach
    void connect() {
        kafka = new KafkaTestClient(bootstrapServers);
        team = "view-" + shortId();
        otherTeam = "other-" + shortId();
    }

    @AfterEach
    void disconnect() {
        kafka.close();
    }

    @Test
    void showsTheCurrentStagesProgressUntilTheBuildMovesPastItAndIgnoresStaleReports() throws Exception {
        String buildId = submit(team);
        awaitState(buildId, "QUEUED");
        OffsetDateTime start = OffsetDateTime.now(ZoneOffset.UTC);

        report(buildId, start.plusSeconds(2), new BuildProgress(coordinates(buildId), "build", "upload", 40, "s3",
                "uploading disk.qcow2"));
        awaitBuild(buildId, "progress.percent", 40)
                .body("progress.stage", equalTo("build"))
                .body("progress.phase", equalTo("upload"))
                .body("progress.waitingFor", equalTo("s3"))
                .body("progress.detail", equalTo("uploading disk.qcow2"));
        given().auth().oauth2(token(team)).get("/api/v1/builds?team=" + team).then()
                .body("items[0].progress.waitingFor", equalTo("s3"));

        // An older report, the same report redelivered with other content, and a newer one claiming
        // another team or spec version (not this build's), change nothing.
        report(buildId, start.plusSeconds(1), new BuildProgress(coordinates(buildId), "build", "layers", 10, null, "older"));
        report(buildId, start.plusSeconds(2), new BuildProgress(coordinates(buildId), "build", "upload", 45, null, "again"));
        BuildCoordinates own = coordinates(buildId);
        report(buildId, start.plusSeconds(3), new BuildProgress(new BuildCoordinates(buildId, "intruder", own.specName(),
                own.specVersion(), own.specDigest(), own.os(), own.kubernetesVersion(), own.target(), own.pack()),
                "build", "upload", 99, null, "forged"));
        report(buildId, start.plusSeconds(3), new BuildProgress(new BuildCoordinates(buildId, own.team(), own.specName(),
                own.specVersion() + 1, own.specDigest(), own.os(), own.kubernetesVersion(), own.target(), own.pack()),
                "build", "upload", 98, null, "forged"));
        afterEarlierReportsWereApplied(buildId);
        given().auth().oauth2(token(team)).get("/api/v1/builds/" + buildId).then()
                .body("progress.percent", equalTo(40))
                .body("progress.detail", equalTo("uploading disk.qcow2"));

        // The build is done: its report goes, and a late one from the build stage cannot come back.
        kafka.sendCloudEvent(Topics.BUILDS_COMPLETED, buildId, EventTypes.BUILD_COMPLETED, UUID.randomUUID().toString(),
                EventJson.write(new BuildCompleted(coordinates(buildId),
                        new BuildCompleted.StagedObject("byoos-staging", "builds/x/disk.qcow2", SHA, 42, "qcow2"), "native", 5)));
        awaitState(buildId, "BUILT").body("progress", nullValue());
        report(buildId, start.plusSeconds(3), new BuildProgress(coordinates(buildId), "build", "upload", 100, null, "late"));
        afterEarlierReportsWereApplied(buildId);
        given().auth().oauth2(token(team)).get("/api/v1/builds/" + buildId).then().body("progress", nullValue());

        report(buildId, start.plusSeconds(4), new BuildProgress(coordinates(buildId), "artifact", "verify", 80, null,
                "re-hashing"));
        awaitBuild(buildId, "progress.stage", "artifact");

        kafka.sendCloudEvent(Topics.BUILDS_FAILED, buildId, EventTypes.BUILD_FAILED, UUID.randomUUID().toString(),
                EventJson.write(new BuildFailed(coordinates(buildId), "artifact", "S3_UNAVAILABLE",
                        "S3 did not answer", true, BuildFailed.INFRASTRUCTURE, 3)));
        awaitState(buildId, "FAILED")
                .body("progress", nullValue())
                .body("failure.code", equalTo("S3_UNAVAILABLE"))
                .body("failure.category", equalTo("infrastructure"))
                .body("failure.attempts", equalTo(3))
                .body("transitions.state", contains("ACCEPTED", "QUEUED", "BUILT", "FAILED"))
                .body("transitions.enteredAt", not(hasItem(nullValue())))
                .body("timeline.summary", hasItem("artifact failed (infrastructure, after 3 attempts): S3_UNAVAILABLE: "
                        + "S3 did not answer"));
    }

    @Test
    void aReportOfAnUnknownStageIsDeadLettered() throws Exception {
        String buildId = submit(team);
        report(buildId, OffsetDateTime.now(ZoneOffset.UTC), new BuildProgress(coordinates(buildId), "paint", "drying",
                50, null, null));
        ConsumerRecord<String, String> deadLetter = kafka.awaitRecords(Topics.deadLetter(Topics.BUILDS_PROGRESS), buildId,
                1, TIMEOUT).get(0);
        assertTrue(KafkaTestClient.header(deadLetter, "dead-letter-reason").orElseThrow().contains("unknown stage 'paint'"));
    }

    @Test
    void theSummaryCountsBacklogAndThroughputOfTheCallersTeamsOnly() throws Exception {
        String ours = submit(team);
        String theirs = submit(otherTeam);
        awaitState(ours, "QUEUED");
        awaitState(theirs, "QUEUED");

        given().auth().oauth2(token(team)).get("/api/v1/pipeline").then().statusCode(200)
                .body("window", equalTo("PT1H"))
                .body("inFlight.id", contains(ours))
                .body("states.find { it.state == 'QUEUED' }.current", equalTo(1))
                .body("states.find { it.state == 'ACCEPTED' }.current", equalTo(0))
                .body("states.find { it.state == 'ACCEPTED' }.entered", equalTo(1))
                .body("states.find { it.state == 'QUEUED' }.entered", equalTo(1))
                .body("states.find { it.state == 'PUBLISHED' }.current", nullValue());

        kafka.sendCloudEvent(Topics.BUILDS_FAILED, ours, EventTypes.BUILD_FAILED, UUID.randomUUID().toString(),
                EventJson.write(new BuildFailed(coordinates(ours), "build", "SCRIPT_FAILED", "exit 3", false,
                        BuildFailed.SPEC, 1)));
        awaitState(ours, "FAILED");
        given().auth().oauth2(token(team)).get("/api/v1/pipeline?window=PT10M").then().statusCode(200)
                .body("inFlight", empty())
                .body("recentFailures.id", contains(ours))
                .body("recentFailures[0].failure.category", equalTo("spec"))
                .body("states.find { it.state == 'FAILED' }.entered", equalTo(1));

        given().auth().oauth2(token(team)).get("/api/v1/pipeline?team=" + otherTeam).then().statusCode(403);
        given().auth().oauth2(token(team)).get("/api/v1/pipeline?window=P30D").then().statusCode(400);
        given().auth().oauth2(token(team)).get("/api/v1/pipeline?window=soon").then().statusCode(400);
        given().get("/api/v1/pipeline").then().statusCode(401);
    }

    @Test
    void theHealthViewChartsListsStuckBuildsOfTheCallersTeamsOnlyAndReportsOwnDependencies() throws Exception {
        String ours = submit(team);
        String theirs = submit(otherTeam);
        awaitState(ours, "QUEUED");
        awaitState(theirs, "QUEUED");

        // No worker consumes here: both builds fall silent in QUEUED (stuck-after is 2 s in tests).
        await("build " + ours + " listed as stuck").atMost(TIMEOUT).pollInterval(Duration.ofMillis(200))
                .until(() -> given().auth().oauth2(token(team)).get("/api/v1/pipeline/health").then().statusCode(200)
                        .extract().<List<String>>path("stuck.build.id").contains(ours));
        given().auth().oauth2(token(team)).get("/api/v1/pipeline/health").then()
                .body("stuckAfter", equalTo("PT2S"))
                .body("stuck.build.id", not(hasItem(theirs)))
                .body("stuck.find { it.build.id == '" + ours + "' }.stage", equalTo("build-worker"))
                .body("stuck.find { it.build.id == '" + ours + "' }.build.state", equalTo("QUEUED"))
                .body("charts.bucket", equalTo("PT1M"))
                .body("charts.backlog[-1].unfinished.QUEUED", equalTo(1))
                .body("charts.latency.find { it.stage == 'accepted' }.samples", equalTo(1));
        // The alert's gauge counts every team's stuck builds, by the stage that owes the next event.
        await("both builds counted by byoos_builds_stuck").atMost(TIMEOUT).pollInterval(Duration.ofMillis(200))
                .until(() -> stuckGauge("build") >= 2);
        assertTrue(stuckGauge("pack") >= 0, "every stage's series exists from the start");

        kafka.sendCloudEvent(Topics.BUILDS_FAILED, ours, EventTypes.BUILD_FAILED, UUID.randomUUID().toString(),
                EventJson.write(new BuildFailed(coordinates(ours), "build", "SCRIPT_FAILED", "exit 3", false,
                        BuildFailed.SPEC, 1)));
        awaitState(ours, "FAILED");
        given().auth().oauth2(token(team)).get("/api/v1/pipeline/health?window=PT10M").then().statusCode(200)
                .body("stuck.build.id", not(hasItem(ours)))
                .body("charts.throughput.finished.FAILED.sum()", equalTo(1))
                .body("charts.backlog[-1].unfinished.QUEUED", equalTo(0))
                .body("charts.latency.find { it.stage == 'queued' }.samples", equalTo(1));

        // spec-service's own dependencies, from its readiness: no other service is configured here.
        await("spec-service's dependencies checked").atMost(TIMEOUT).pollInterval(Duration.ofMillis(200))
                .until(() -> given().auth().oauth2(token(team)).get("/api/v1/pipeline/health").then()
                        .extract().<List<String>>path("dependencies.name").contains("spec-service"));
        given().auth().oauth2(token(team)).get("/api/v1/pipeline/health").then()
                .body("dependencies.find { it.name == 'postgresql' }.status", equalTo("UP"))
                .body("dependencies.find { it.name == 'kafka' }.status", equalTo("UP"))
                .body("dependencies.find { it.name == 's3' }.status", equalTo("UNKNOWN"))
                .body("dependencies.name", not(hasItem("build-worker")));

        given().auth().oauth2(token(team)).get("/api/v1/pipeline/health?team=" + otherTeam).then().statusCode(403);
        given().auth().oauth2(token(team)).get("/api/v1/pipeline/health?window=P30D").then().statusCode(400);
        given().get("/api/v1/pipeline/health").then().statusCode(401);
    }

    @Test
    void theLiveStreamCarriesChangesOfTheCallersTeamsOnlyInTheListsShape() throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        HttpResponse<InputStream> response = client.send(HttpRequest.newBuilder(events.toURI())
                .header("Authorization", "Bearer " + token(team)).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, response.statusCode());
        try (BufferedReader stream = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            assertEquals(":connected", stream.readLine(), "the stream starts at once");
            // Another team's build moves first; the database announces changes in commit order, so
            // its changes come before any of ours.
            String theirs = submit(otherTeam);
            awaitState(theirs, "QUEUED");
            String ours = submit(team);

            List<JsonNode> received = CompletableFuture.supplyAsync(() -> buildsUntilQueued(stream, ours))
                    .get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            assertFalse(received.stream().anyMatch(build -> build.path("id").asText().equals(theirs)),
                    "the stream carried another team's build");
            assertEquals(List.of("ACCEPTED", "QUEUED"), received.stream().map(build -> build.path("state").asText())
                    .distinct().toList());

            JsonNode streamed = received.get(received.size() - 1);
            JsonNode listed = JSON.readTree(given().auth().oauth2(token(team)).get("/api/v1/builds?team=" + team)
                    .then().extract().body().asString()).path("items").get(0);
            assertEquals(fieldNames(listed), fieldNames(streamed));
            for (String field : List.of("id", "team", "spec", "specVersion", "target", "attempt", "state", "href")) {
                assertEquals(listed.get(field), streamed.get(field), field);
            }
        }

        assertEquals(401, client.send(HttpRequest.newBuilder(events.toURI()).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode());
    }

    /** Reads {@code build} events until {@code buildId} is QUEUED; every build event read is returned. */
    private static List<JsonNode> buildsUntilQueued(BufferedReader stream, String buildId) {
        List<JsonNode> builds = new ArrayList<>();
        try {
            String event = null;
            for (String line = stream.readLine(); line != null; line = stream.readLine()) {
                if (line.startsWith("event:")) {
                    event = line.substring("event:".length()).trim();
                } else if (line.startsWith("data:") && "build".equals(event)) {
                    JsonNode build = JSON.readTree(line.substring("data:".length()).trim());
                    builds.add(build);
                    if (build.path("id").asText().equals(buildId) && build.path("state").asText().equals("QUEUED")) {
                        return builds;
                    }
                }
            }
            throw new AssertionError("the stream ended before build " + buildId + " was QUEUED; read " + builds);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names.stream().sorted().toList();
    }

    private void report(String buildId, OffsetDateTime at, BuildProgress progress) {
        kafka.sendCloudEvent(Topics.BUILDS_PROGRESS, buildId, EventTypes.BUILD_PROGRESS, UUID.randomUUID().toString(),
                at, EventJson.write(progress));
    }

    /**
     * One partition is consumed in order: once a record sent after the reports (with the same key)
     * reached the dead-letter topic, the reports before it were applied or ignored.
     */
    private void afterEarlierReportsWereApplied(String buildId) {
        kafka.sendPlain(Topics.BUILDS_PROGRESS, buildId, "not a cloud event");
        kafka.awaitRecords(Topics.deadLetter(Topics.BUILDS_PROGRESS), buildId, ++deadLettered, TIMEOUT);
    }

    private String submit(String owner) throws Exception {
        String yaml = Files.readString(Path.of("..", "examples", "debian-12-qemu.yaml"))
                .replace("name: debian-12-node", "name: view-" + shortId())
                .replace("team: platform", "team: " + owner)
                .replace("name: byoos-debian-12\n", "name: pack-" + owner + "\n");
        return given().auth().oauth2(TestTokens.token("view-submitter", "submitter", owner))
                .contentType("application/yaml").body(yaml.getBytes(StandardCharsets.UTF_8))
                .post("/api/v1/specs").then().statusCode(201).extract().path("builds[0].id");
    }

    private ValidatableResponse awaitState(String buildId, String state) {
        return awaitBuild(buildId, "state", state);
    }

    private ValidatableResponse awaitBuild(String buildId, String path, Object expected) {
        return await("build " + buildId + " with " + path + " " + expected).atMost(TIMEOUT)
                .pollInterval(Duration.ofMillis(100))
                .until(() -> given().auth().oauth2(ADMIN).get("/api/v1/builds/" + buildId).then().statusCode(200),
                        response -> expected.equals(response.extract().path(path)));
    }

    private static String token(String team) {
        return TestTokens.token("view-viewer", "viewer", team);
    }

    private BuildCoordinates coordinates(String buildId) {
        return RequestedCoordinates.of(kafka, buildId);
    }

    private static String shortId() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    /** {@code byoos_builds_stuck{stage}} as /q/metrics reports it now. */
    private static double stuckGauge(String stage) {
        Matcher value = Pattern.compile("(?m)^byoos_builds_stuck\\{[^}]*stage=\"" + stage + "\"[^}]*\\} (\\S+)$")
                .matcher(given().get("/q/metrics").then().statusCode(200).extract().asString());
        assertTrue(value.find(), "byoos_builds_stuck{stage=\"" + stage + "\"} is exported");
        return Double.parseDouble(value.group(1));
    }
}
