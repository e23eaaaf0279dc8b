package dev.byoos.worker.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.minio.GetObjectArgs;
import io.minio.MinioClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildFailed;
import dev.byoos.contract.BuildProgress;
import dev.byoos.contract.BuildRequested;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.Topics;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.KafkaTestClient;
import dev.byoos.testsupport.PrometheusMetrics;
import dev.byoos.worker.builder.TestBases;
import dev.byoos.worker.builder.core.Sha256;
import dev.byoos.worker.config.WorkerConfig;

/** build-worker against real Kafka and S3: build, stage, announce; idempotent and dead-lettering. */
@QuarkusTest
@QuarkusTestResource(DevStackResource.class)
@QuarkusTestResource(TestBasesResource.class)
class BuildRequestConsumerTest extends WorkerKafkaTest {

    @TestHTTPResource("/q/metrics")
    URI metricsUrl;

    @ConfigProperty(name = "byoos.worker.image-cache.dir")
    Path imageCacheDir;
    @ConfigProperty(name = "quarkus.application.version")
    String applicationVersion;
    @Inject
    WorkerConfig config;

    @Test
    void buildsStagesAndAnnouncesTheImageWithTheChecksumOfTheStagedBytes() throws Exception {
        String buildId = UUID.randomUUID().toString();
        send(request(buildId, "debian-12-skeleton"), UUID.randomUUID().toString());

        ConsumerRecord<String, String> record = kafka.awaitRecords(Topics.BUILDS_COMPLETED, buildId, 1, TIMEOUT).get(0);
        assertEquals(EventTypes.BUILD_COMPLETED, KafkaTestClient.header(record, "ce_type").orElseThrow());
        BuildCompleted completed = EventJson.read(record.value(), BuildCompleted.class);
        assertEquals("qcow2", completed.image().format());
        assertEquals("builds/" + buildId + "/attempt-1/disk.qcow2", completed.image().key());
        assertEquals(sha256Of(completed.image().bucket(), completed.image().key()), completed.image().sha256());
    }

    /** build.completed names the template in the spec's folder, as image-builder's vSphere builds do. */
    @Test
    void anOvaIsStagedUnderThePaletteTemplateNameAndReportsItsTemplatePath() throws Exception {
        String buildId = UUID.randomUUID().toString();
        BuildRequested plain = request(buildId, "debian-12-skeleton", new BuildCoordinates.Target("vsphere", "ova"));
        send(new BuildRequested(plain.build(), plain.base(), plain.files(), BuildRequested.STANDARD, null, null, null,
                null, null, null, BuildRequested.NATIVE,
                new BuildRequested.CloudParameters(null, null, "/dc1/vm/byoos", null), null),
                UUID.randomUUID().toString());

        BuildCompleted completed = EventJson.read(
                kafka.awaitRecords(Topics.BUILDS_COMPLETED, buildId, 1, TIMEOUT).get(0).value(), BuildCompleted.class);
        assertEquals("ova", completed.image().format());
        assertEquals("builds/" + buildId + "/attempt-1/r_u-debian-12-k-1304.ova", completed.image().key());
        assertEquals(sha256Of(completed.image().bucket(), completed.image().key()), completed.image().sha256());
        assertEquals(List.of(new BuildCompleted.CloudImage("vsphere", null, "/dc1/vm/byoos/r_u-debian-12-k-1304")),
                completed.cloudImages());
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
        BuildFailed failed = awaitFailure(buildId);
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
        BuildRequested plain = request(buildId, TestBases.BUSYBOX, new BuildCoordinates.Target("qemu", "qcow2"), team);
        // Content of its own, so that the image is built rather than served from the image cache.
        send(new BuildRequested(plain.build(), plain.base(), List.of(new BuildRequested.FileCustomization("/etc/motd",
                "metrics " + UUID.randomUUID() + "\n", "0644"))), UUID.randomUUID().toString());
        BuildCompleted completed = EventJson.read(
                kafka.awaitRecords(Topics.BUILDS_COMPLETED, buildId, 1, TIMEOUT).get(0).value(), BuildCompleted.class);

        // The outcome is recorded once the completion was announced.
        PrometheusMetrics.awaitSum(metricsUrl, "byoos_build_duration_seconds_count",
                Map.of("team", team, "outcome", "succeeded"), 1, TIMEOUT);
        PrometheusMetrics after = metrics();
        assertEquals(1, after.sum("byoos_build_queue_seconds_count", build));
        // The phases a build reports on the progress topic are the phases it is measured by.
        for (String phase : List.of("base", "layers", "image", "upload")) {
            assertEquals(1, after.sum("byoos_build_phase_seconds_count", Map.of("team", team, "phase", phase)), phase);
        }
        assertEquals(completed.image().size(), after.sum("byoos_build_uploaded_bytes_total", build));
        assertEquals(0, after.sum("byoos_worker_slots_busy"), "the slot is given back");
    }

    private PrometheusMetrics metrics() {
        return PrometheusMetrics.scrape(metricsUrl);
    }

    @Test
    void stagesTheSbomAndTheBuildLogBesideTheImageAndRecordsTheProvenance() throws Exception {
        String buildId = UUID.randomUUID().toString();
        BuildRequested plain = request(buildId, TestBases.DPKG);
        BuildRequested request = new BuildRequested(plain.build(), plain.base(),
                List.of(new BuildRequested.FileCustomization("/etc/byoos/id", buildId + "\n", "0644")));
        send(request, UUID.randomUUID().toString());

        BuildCompleted completed = EventJson.read(
                kafka.awaitRecords(Topics.BUILDS_COMPLETED, buildId, 1, TIMEOUT).get(0).value(), BuildCompleted.class);

        assertEquals("builds/" + buildId + "/attempt-1/sbom.cdx.json", completed.sbom().key());
        assertEquals("cyclonedx-json", completed.sbom().format());
        byte[] sbom = read(completed.sbom().bucket(), completed.sbom().key());
        assertEquals(Sha256.of(sbom), completed.sbom().sha256());
        assertEquals(sbom.length, completed.sbom().size());
        JsonNode bom = new ObjectMapper().readTree(sbom);
        assertTrue(componentNames(bom).contains("busybox-static"), "the base's dpkg packages");
        assertTrue(componentNames(bom).contains("/etc/byoos/id"), "the spec's files");

        assertEquals("builds/" + buildId + "/attempt-1/build.log", completed.log().key());
        byte[] log = read(completed.log().bucket(), completed.log().key());
        assertEquals(Sha256.of(log), completed.log().sha256());
        assertEquals(log.length, completed.log().size());
        String logText = new String(log, StandardCharsets.UTF_8);
        assertTrue(logText.contains(" mke2fs -q "), "the commands the build ran: " + logText);
        assertTrue(logText.contains("staged builds/" + buildId + "/attempt-1/disk.qcow2"), logText);

        BuildCompleted.Provenance provenance = completed.provenance();
        assertEquals(applicationVersion, provenance.builderVersion());
        assertFalse(Instant.parse(provenance.finishedAt()).isBefore(Instant.parse(provenance.startedAt())));
        List<String> inputs = provenance.inputs().stream().map(BuildCompleted.Input::name).toList();
        assertEquals("base:local/" + TestBases.DPKG, inputs.get(0));
        assertTrue(inputs.containsAll(List.of("layer:pre-scripts", "layer:packages", "layer:users", "layer:files",
                "layer:sysctl", "layer:kernel-modules", "layer:ca-certificates", "layer:post-scripts")), inputs.toString());
    }

    @Test
    void anIdenticalRequestIsServedFromTheImageCacheWithTheSameChecksum() throws Exception {
        String motd = "cached " + UUID.randomUUID() + "\n";
        BuildCompleted first = buildWithMotd(motd);
        // A build keeps its image once it is done, just after build.completed: the second waits for it.
        Awaitility.await().atMost(TIMEOUT).until(() -> imageCacheHolds(first.image().sha256()));
        BuildCompleted second = buildWithMotd(motd);

        assertEquals(first.image().sha256(), second.image().sha256());
        assertEquals(first.sbom().sha256(), second.sbom().sha256());
        assertEquals(first.provenance().inputs(), second.provenance().inputs());
        assertTrue(text(first.log()).contains("image cache: miss"), text(first.log()));
        String secondLog = text(second.log());
        assertTrue(secondLog.contains("image cache: hit"), secondLog);
        assertFalse(secondLog.contains(" mke2fs -q "), "nothing was built: " + secondLog);
        assertEquals(second.image().sha256(), sha256Of(second.image().bucket(), second.image().key()),
                "the cached image was staged for the second build too");
    }

    /** @return whether an entry of the worker's image cache records an image with this sha256 */
    private boolean imageCacheHolds(String sha256) throws java.io.IOException {
        if (!Files.isDirectory(imageCacheDir)) {
            return false;
        }
        try (Stream<Path> records = Files.list(imageCacheDir).map(entry -> entry.resolve("entry.json"))) {
            return records.filter(Files::isRegularFile).anyMatch(record -> {
                try {
                    return Files.readString(record).contains(sha256);
                } catch (java.io.IOException e) {
                    return false; // evicted meanwhile
                }
            });
        }
    }

    private BuildCompleted buildWithMotd(String motd) {
        String buildId = UUID.randomUUID().toString();
        BuildRequested plain = request(buildId, TestBases.BUSYBOX);
        send(new BuildRequested(plain.build(), plain.base(),
                List.of(new BuildRequested.FileCustomization("/etc/motd", motd, "0644"))), UUID.randomUUID().toString());
        return EventJson.read(kafka.awaitRecords(Topics.BUILDS_COMPLETED, buildId, 1, TIMEOUT).get(0).value(),
                BuildCompleted.class);
    }

    @Test
    void reportsEachPhaseOfTheBuildOnTheProgressTopic() {
        // Content of its own, so that the image is built rather than served from the cache.
        String buildId = buildWithMotd("progress " + UUID.randomUUID() + "\n").build().buildId();

        List<BuildProgress> progress = kafka.awaitRecords(Topics.BUILDS_PROGRESS, buildId, 4, TIMEOUT).stream()
                .peek(record -> assertEquals(EventTypes.BUILD_PROGRESS,
                        KafkaTestClient.header(record, "ce_type").orElseThrow()))
                .map(record -> EventJson.read(record.value(), BuildProgress.class)).toList();
        assertEquals(List.of("base", "layers", "image", "upload"), progress.stream().map(BuildProgress::phase).toList());
        assertEquals(List.of(5, 25, 50, 90), progress.stream().map(BuildProgress::percent).toList());
        progress.forEach(event -> assertEquals("build", event.stage()));
    }

    @Test
    void aFailingScriptIsTheSpecsFaultAndIsNotRetried() {
        String buildId = UUID.randomUUID().toString();
        send(requestWithPostScript(buildId, TestBases.BUSYBOX, "echo 'no such thing' >&2; exit 3"),
                UUID.randomUUID().toString());

        Map<String, String> spec = Map.of("category", BuildFailed.SPEC, "code", "SCRIPT_FAILED");
        double failuresBefore = metrics().sum("byoos_build_failures_total", spec);
        BuildFailed failed = awaitFailure(buildId);
        assertEquals("SCRIPT_FAILED", failed.code());
        assertEquals(BuildFailed.SPEC, failed.category());
        assertEquals(1, failed.attempts());
        assertFalse(failed.retryable());
        assertTrue(failed.reason().contains("no such thing"), failed.reason());
        PrometheusMetrics.awaitSum(metricsUrl, "byoos_build_failures_total", spec, failuresBefore + 1, TIMEOUT);
    }

    @Test
    void anUnreachableMirrorIsRetriedWithBackoffThenFailsAsInfrastructureWithTheAttempts() {
        Map<String, String> mirror = Map.of("category", BuildFailed.INFRASTRUCTURE, "code", "DEBOOTSTRAP_FAILED");
        double retriesBefore = metrics().sum("byoos_build_retries_total", mirror);
        double failuresBefore = metrics().sum("byoos_build_failures_total", mirror);
        String buildId = UUID.randomUUID().toString();
        BuildRequested plain = request(buildId, "unused");
        // Nothing listens on the discard port: debootstrap cannot fetch the suite's Release file.
        send(new BuildRequested(plain.build(), new BuildRequested.BaseImage(null,
                new BuildRequested.Debootstrap("bookworm", "http://127.0.0.1:9/debian")), List.of()),
                UUID.randomUUID().toString());

        BuildFailed failed = awaitFailure(buildId);
        assertEquals("DEBOOTSTRAP_FAILED", failed.code());
        assertEquals(BuildFailed.INFRASTRUCTURE, failed.category());
        assertEquals(config.retry().maxAttempts(), failed.attempts());
        assertTrue(failed.retryable());
        assertTrue(failed.reason().contains("gave up after " + config.retry().maxAttempts() + " attempts"),
                failed.reason());
        List<BuildProgress> waits = kafka.awaitRecords(Topics.BUILDS_PROGRESS,
                record -> buildId.equals(record.key()) && record.value().contains("\"waitingFor\""),
                config.retry().maxAttempts() - 1, TIMEOUT).stream()
                .map(record -> EventJson.read(record.value(), BuildProgress.class)).toList();
        waits.forEach(wait -> assertEquals("mirror", wait.waitingFor()));
        assertEquals(1, kafka.recordsWithin(Topics.BUILDS_STARTED, buildId, Duration.ofSeconds(2)).size(),
                "retried inside one delivery of the request");
        PrometheusMetrics.awaitSum(metricsUrl, "byoos_build_failures_total", mirror, failuresBefore + 1, TIMEOUT);
        assertEquals(retriesBefore + config.retry().maxAttempts() - 1, metrics().sum("byoos_build_retries_total", mirror),
                "every attempt but the last was retried");
    }

    @Test
    void aTarballBaseOnAnUnreachableHostIsRetriedAndOneOverPlainHttpIsRefusedAtOnce() {
        String unreachable = UUID.randomUUID().toString();
        String plainHttp = UUID.randomUUID().toString();
        // Nothing listens on the discard port; 127.0.0.1 is an allowed host in the test profile.
        send(tarballRequest(unreachable, "https://127.0.0.1:9/base.tar.gz"), UUID.randomUUID().toString());
        send(tarballRequest(plainHttp, "http://127.0.0.1:9/base.tar.gz"), UUID.randomUUID().toString());

        BuildFailed retried = awaitFailure(unreachable);
        assertEquals("BASE_DOWNLOAD_FAILED", retried.code());
        assertEquals(BuildFailed.INFRASTRUCTURE, retried.category());
        assertEquals(config.retry().maxAttempts(), retried.attempts());
        BuildFailed refused = awaitFailure(plainHttp);
        assertEquals("INVALID_TARBALL_URL", refused.code());
        assertEquals(BuildFailed.SPEC, refused.category());
        assertEquals(1, refused.attempts());
    }

    private BuildRequested tarballRequest(String buildId, String url) {
        return new BuildRequested(request(buildId, "unused").build(),
                BuildRequested.BaseImage.of(new BuildRequested.Tarball(url, "0".repeat(64))), List.of());
    }

    private static List<String> componentNames(JsonNode bom) {
        List<String> names = new java.util.ArrayList<>();
        bom.get("components").forEach(component -> names.add(component.get("name").asText()));
        return names;
    }

    private String text(BuildCompleted.StagedObject object) {
        return new String(read(object.bucket(), object.key()), StandardCharsets.UTF_8);
    }

    private byte[] read(String bucket, String key) {
        MinioClient s3 = MinioClient.builder().endpoint(s3Endpoint).region("us-east-1")
                .credentials(s3AccessKey, s3SecretKey).build();
        try (InputStream in = s3.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build())) {
            return in.readAllBytes();
        } catch (Exception e) {
            throw new AssertionError("could not read s3://" + bucket + "/" + key, e);
        }
    }

    @Test
    void isReadyOnlyWithItsDependenciesReachable() {
        io.restassured.RestAssured.given().get("/q/health/ready").then()
                .statusCode(200)
                .body("checks.find { it.name == 's3-staging-bucket' }.status", org.hamcrest.Matchers.equalTo("UP"));
    }
}
