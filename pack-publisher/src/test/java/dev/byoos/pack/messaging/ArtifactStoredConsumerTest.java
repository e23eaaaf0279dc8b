package dev.byoos.pack.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.byoos.contract.ArtifactStored;
import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildFailed;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.PackPublished;
import dev.byoos.contract.Topics;
import dev.byoos.pack.registry.OciRegistryClient;
import dev.byoos.pack.service.PackPublisher;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.pack.observability.PackMetrics;
import dev.byoos.testsupport.KafkaTestClient;
import dev.byoos.testsupport.PrometheusMetrics;

/** pack-publisher against real Kafka and a real OCI registry. */
@QuarkusTest
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "database", value = "pack_publisher"))
class ArtifactStoredConsumerTest {

    static final Duration TIMEOUT = Duration.ofSeconds(30);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;
    @ConfigProperty(name = "byoos.publisher.registry.url")
    String registryUrl;
    @TestHTTPResource("/q/metrics")
    URI metricsUrl;

    KafkaTestClient kafka;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeEach
    void connect() {
        kafka = new KafkaTestClient(bootstrapServers);
    }

    @AfterEach
    void disconnect() {
        kafka.close();
    }

    static ArtifactStored artifact(String buildId, String packName, String sha256) {
        return artifact(buildId, packName, sha256, "platform");
    }

    static ArtifactStored artifact(String buildId, String packName, String sha256, String team) {
        return new ArtifactStored(new BuildCoordinates(buildId, team, "node", 1, "cd".repeat(32),
                new BuildCoordinates.OperatingSystem("debian", "12"), "1.30.4",
                new BuildCoordinates.Target("qemu", "qcow2"), new BuildCoordinates.Pack(packName, "1.0.0", "Node")),
                "byoos-artifacts", "sha256/" + sha256, "s3://byoos-artifacts/sha256/" + sha256, sha256, 1024, "qcow2");
    }

    private void send(ArtifactStored event) {
        kafka.sendCloudEvent(Topics.ARTIFACTS_STORED, event.build().buildId(), EventTypes.ARTIFACT_STORED,
                UUID.randomUUID().toString(), EventJson.write(event));
    }

    private HttpResponse<String> manifest(String packName) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(registryUrl + "/v2/byoos/spectro-packs/archive/" + packName
                + "/manifests/1.0.0")).header("Accept", "application/vnd.oci.image.manifest.v1+json").build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void publishesThePackOnceAndReannouncesItWhenRedelivered() throws Exception {
        String buildId = UUID.randomUUID().toString();
        String packName = "pack-" + buildId.substring(0, 8);
        ArtifactStored artifact = artifact(buildId, packName, "ab".repeat(32));
        send(artifact);
        ConsumerRecord<String, String> first = kafka.awaitRecords(Topics.PACKS_PUBLISHED, buildId, 1, TIMEOUT).get(0);
        PackPublished published = EventJson.read(first.value(), PackPublished.class);
        assertEquals(URI.create(registryUrl).getAuthority() + "/byoos/spectro-packs/archive/" + packName + ":1.0.0",
                published.reference());
        HttpResponse<String> manifest = manifest(packName);
        assertEquals(200, manifest.statusCode());
        assertEquals(published.manifestDigest(), manifest.headers().firstValue("Docker-Content-Digest").orElseThrow());

        send(artifact);
        List<ConsumerRecord<String, String>> both = kafka.awaitRecords(Topics.PACKS_PUBLISHED, buildId, 2, TIMEOUT);
        assertEquals(first.value(), both.get(1).value());
        assertEquals(manifest.body(), manifest(packName).body(), "the tag still holds the same manifest");
    }

    @Test
    void differentContentUnderAPublishedVersionIsAConflictAndOverwritesNothing() throws Exception {
        String packName = "conflict-" + UUID.randomUUID().toString().substring(0, 8);
        String firstBuild = UUID.randomUUID().toString();
        send(artifact(firstBuild, packName, "ab".repeat(32)));
        kafka.awaitRecords(Topics.PACKS_PUBLISHED, firstBuild, 1, TIMEOUT);
        String before = manifest(packName).body();

        String secondBuild = UUID.randomUUID().toString();
        send(artifact(secondBuild, packName, "ef".repeat(32)));
        BuildFailed failed = EventJson.read(kafka.awaitRecords(Topics.BUILDS_FAILED, secondBuild, 1, TIMEOUT).get(0)
                .value(), BuildFailed.class);
        assertEquals("PACK_VERSION_CONFLICT", failed.code());
        assertEquals("pack", failed.stage());
        assertEquals(BuildFailed.SPEC, failed.category());
        assertFalse(failed.retryable(), "the same spec can never take a taken version");
        assertTrue(failed.reason().contains("spec.pack.version"), failed.reason());
        assertEquals(before, manifest(packName).body());
    }

    @Test
    void anotherTeamsPackNameIsRefusedBeforeAnythingIsPushedAndCounted() throws Exception {
        String packName = "owned-" + UUID.randomUUID().toString().substring(0, 8);
        String ownersBuild = UUID.randomUUID().toString();
        send(artifact(ownersBuild, packName, "ab".repeat(32), "platform"));
        kafka.awaitRecords(Topics.PACKS_PUBLISHED, ownersBuild, 1, TIMEOUT);

        String intruder = "intruders-" + UUID.randomUUID().toString().substring(0, 8);
        String intrudersBuild = UUID.randomUUID().toString();
        ArtifactStored theirs = artifact(intrudersBuild, packName, "ef".repeat(32), intruder);
        BuildCoordinates b = theirs.build();
        send(new ArtifactStored(new BuildCoordinates(b.buildId(), b.team(), b.specName(), b.specVersion(),
                b.specDigest(), b.os(), b.kubernetesVersion(), b.target(),
                new BuildCoordinates.Pack(packName, "2.0.0", "Not theirs")), theirs.bucket(), theirs.key(),
                theirs.uri(), theirs.sha256(), theirs.size(), theirs.format()));

        BuildFailed failed = EventJson.read(kafka.awaitRecords(Topics.BUILDS_FAILED, intrudersBuild, 1, TIMEOUT).get(0)
                .value(), BuildFailed.class);
        assertEquals(PackPublisher.NAME_TAKEN, failed.code());
        assertEquals(BuildFailed.SPEC, failed.category());
        assertFalse(failed.retryable());
        assertTrue(failed.reason().contains("spec.pack.name"), failed.reason());
        assertFalse(failed.reason().contains("platform"), "the owner is not named to another team: " + failed.reason());
        awaitPacks(intruder, PackMetrics.NAME_TAKEN, 1);
        assertEquals(404, http.send(HttpRequest.newBuilder(URI.create(registryUrl + "/v2/byoos/spectro-packs/archive/"
                + packName + "/manifests/2.0.0")).header("Accept", "application/vnd.oci.image.manifest.v1+json")
                .build(), HttpResponse.BodyHandlers.ofString()).statusCode(), "nothing pushed under the owner's name");
        assertTrue(kafka.recordsWithin(Topics.PACKS_PUBLISHED, intrudersBuild, Duration.ofSeconds(2)).isEmpty());
    }

    @Test
    void aTagHoldingThisBuildsPackAsAnEarlierReleaseRenderedItCountsAsPublished() throws Exception {
        String buildId = UUID.randomUUID().toString();
        String packName = "earlier-" + buildId.substring(0, 8);
        String repository = "byoos/spectro-packs/archive/" + packName;
        byte[] earlierRendering = "an earlier release's tarball".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        OciRegistryClient.Manifest earlier = OciRegistryClient.manifestFor(packName + "-1.0.0.tar.gz", earlierRendering,
                java.util.Map.of(PackPublisher.BUILD_ID_ANNOTATION, buildId));
        new OciRegistryClient(URI.create(registryUrl), java.util.Optional.empty(), java.util.Optional.empty())
                .push(repository, "1.0.0", earlierRendering, earlier);

        send(artifact(buildId, packName, "ab".repeat(32)));
        PackPublished published = EventJson.read(kafka.awaitRecords(Topics.PACKS_PUBLISHED, buildId, 1, TIMEOUT).get(0)
                .value(), PackPublished.class);
        assertEquals(earlier.digest(), published.manifestDigest(), "announced as it is, not overwritten");
        assertEquals(earlier.digest(), manifest(packName).headers().firstValue("Docker-Content-Digest").orElseThrow());
    }

    @Test
    void countsPublishedRepublishedAndConflictingPacksAndTimesEach() {
        String team = "metrics-" + UUID.randomUUID().toString().substring(0, 8);
        String packName = "metrics-" + UUID.randomUUID().toString().substring(0, 8);
        String buildId = UUID.randomUUID().toString();
        ArtifactStored artifact = artifact(buildId, packName, "ab".repeat(32), team);
        // One after the other: the publisher handles events concurrently, and two deliveries at once
        // would both find the tag free (and both push the same manifest).
        send(artifact);
        kafka.awaitRecords(Topics.PACKS_PUBLISHED, buildId, 1, TIMEOUT);
        send(artifact);
        kafka.awaitRecords(Topics.PACKS_PUBLISHED, buildId, 2, TIMEOUT);
        send(artifact(UUID.randomUUID().toString(), packName, "ef".repeat(32), team));

        awaitPacks(team, PackMetrics.PUBLISHED, 1);
        awaitPacks(team, PackMetrics.ALREADY_PUBLISHED, 1);
        awaitPacks(team, PackMetrics.CONFLICT, 1);
        assertEquals(3, PrometheusMetrics.scrape(metricsUrl).sum("byoos_pack_publish_seconds_count",
                Map.of("team", team, "cloud", "qemu", "format", "qcow2")));
    }

    private void awaitPacks(String team, String outcome, double expected) {
        PrometheusMetrics.awaitSum(metricsUrl, "byoos_packs_total", Map.of("team", team, "outcome", outcome), expected,
                TIMEOUT);
    }

    @Test
    void malformedEventsAreDeadLetteredAndTheNextEventStillFlows() {
        Map<String, String> artifactsStored = Map.of("topic", Topics.ARTIFACTS_STORED);
        double deadLettersBefore = PrometheusMetrics.scrape(metricsUrl).sum("byoos_dead_letters_total", artifactsStored);
        String poisonKey = UUID.randomUUID().toString();
        kafka.sendCloudEvent(Topics.ARTIFACTS_STORED, poisonKey, "dev.byoos.something.else.v1",
                UUID.randomUUID().toString(), "{}");
        kafka.awaitRecords(Topics.deadLetter(Topics.ARTIFACTS_STORED), poisonKey, 1, TIMEOUT);
        PrometheusMetrics.awaitSum(metricsUrl, "byoos_dead_letters_total", artifactsStored, deadLettersBefore + 1,
                TIMEOUT);

        String buildId = UUID.randomUUID().toString();
        send(artifact(buildId, "after-poison-" + buildId.substring(0, 8), "cd".repeat(32)));
        kafka.awaitRecords(Topics.PACKS_PUBLISHED, buildId, 1, TIMEOUT);
    }

    @Test
    void isReadyOnlyWithItsDependenciesReachable() {
        io.restassured.RestAssured.given().get("/q/health/ready").then()
                .statusCode(200)
                .body("checks.find { it.name == 'oci-registry' }.status", org.hamcrest.Matchers.equalTo("UP"));
    }
}
