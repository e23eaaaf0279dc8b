package dev.byoos.system;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.byoos.testsupport.PrometheusMetrics;

import io.minio.GetObjectArgs;
import io.minio.MinioClient;

/**
 * One spec in over REST, one pack out in the registry: every result is checked with clients and
 * tools independent of the code that produced it (registry HTTP API, S3, qemu-img, debugfs).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PipelineSystemTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Spans leave a service in batches (every 200 ms here) and after the span ends. */
    private static final Duration SPAN_EXPORT_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration METRICS_REFRESH_TIMEOUT = Duration.ofMinutes(3);
    private static final String PACK_REPOSITORY = "byoos/spectro-packs/archive/byoos-debian-12";

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private LocalPipeline pipeline;

    @TempDir
    Path scratch;

    private OtlpCollector collector;
    private TracedBuild tracedBuild;
    private boolean failedBuildDone;

    @BeforeAll
    void startPipeline() throws Exception {
        collector = OtlpCollector.start();
        // Tracing is off by default; here every service exports to the in-process collector, soon.
        pipeline = LocalPipeline.start(Map.of(
                "QUARKUS_OTEL_SDK_DISABLED", "false",
                "QUARKUS_OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", collector.endpoint(),
                "QUARKUS_OTEL_BSP_SCHEDULE_DELAY", "200ms",
                // The notification receiver below listens on loopback, over http, and fails once.
                "BYOOS_SPEC_NOTIFICATIONS_ALLOWED_HOSTS", "127.0.0.1",
                "BYOOS_SPEC_NOTIFICATIONS_INITIAL_BACKOFF", "1s"));
    }

    @AfterAll
    void stopPipeline() throws Exception {
        if (pipeline != null) {
            pipeline.close();
        }
        if (collector != null) {
            collector.close();
        }
    }

    @Test
    void oneBuildIsOneTraceFromTheRestCallThroughAllFourServices() throws Exception {
        TracedBuild build = tracedBuild();
        Set<String> everyService = Set.of("spec-service", "build-worker", "artifact-service", "pack-publisher");
        await().atMost(SPAN_EXPORT_TIMEOUT).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertEquals(everyService, collector.servicesIn(build.traceId()),
                        "spans of build " + build.buildId() + ": " + collector.spansOf(build.traceId())));
    }

    @Test
    void everyDashboardQueryNamesAMetricTheServicesExpose() throws Exception {
        // Most byoos_* series appear with their first observation: one published and one failed build.
        tracedBuild();
        failedBuild();
        Set<String> queried = new TreeSet<>();
        try (var dashboards = Files.list(pipeline.root.resolve("deploy/grafana/dashboards"))) {
            for (Path dashboard : dashboards.filter(file -> file.toString().endsWith(".json")).toList()) {
                Set<String> names = DashboardQueries.metricNames(JSON.readTree(dashboard.toFile()));
                assertFalse(names.isEmpty(), dashboard + " queries nothing");
                queried.addAll(names);
            }
        }
        // Micrometer's Kafka binder registers client metrics that appear after a consumer's first
        // fetch (per-partition lag) on its next refresh, once a minute: scrape until it has.
        Set<String> missing = new TreeSet<>(queried);
        await().atMost(METRICS_REFRESH_TIMEOUT).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
            for (String service : List.of("spec-service", "build-worker", "artifact-service", "pack-publisher")) {
                missing.removeAll(PrometheusMetrics.scrape(URI.create(pipeline.services.getProperty(service + ".url")
                        + "/q/metrics")).names());
            }
            assertEquals(Set.of(), missing, "the dashboards query metrics no service exposes");
        });
    }

    /** A build the worker refuses (scripts need a shell, the skeleton base has none), run to FAILED once. */
    private synchronized void failedBuild() throws Exception {
        if (!failedBuildDone) {
            String unique = Long.toHexString(System.nanoTime());
            String spec = Files.readString(pipeline.root.resolve("examples/debian-12-qemu.yaml"))
                    .replace("name: debian-12-node", "name: failing-" + unique)
                    .replace("name: byoos-debian-12", "name: byoos-failing-" + unique)
                    .replace("  customizations:\n", "  customizations:\n    scripts:\n"
                            + "      - {name: hello, stage: post, content: \"echo hello\"}\n");
            HttpResponse<String> submitted = post("/api/v1/specs", "application/yaml",
                    spec.getBytes(StandardCharsets.UTF_8));
            assertEquals(201, submitted.statusCode(), submitted.body());
            JsonNode build = pipeline.awaitFinalState(JSON.readTree(submitted.body()).path("builds").get(0).path("id").asText());
            assertEquals("FAILED", build.path("state").asText(), build.toPrettyString());
            failedBuildDone = true;
        }
    }

    /** A build submitted under a trace the test chose, run to PUBLISHED once for every test that needs one. */
    private synchronized TracedBuild tracedBuild() throws Exception {
        if (tracedBuild == null) {
            String unique = Long.toHexString(System.nanoTime());
            String traceId = HexFormat.of().formatHex(randomBytes(16));
            String spec = Files.readString(pipeline.root.resolve("examples/debian-12-qemu.yaml"))
                    .replace("name: debian-12-node", "name: traced-" + unique)
                    .replace("name: byoos-debian-12", "name: byoos-traced-" + unique);
            HttpResponse<String> submitted = http.send(HttpRequest.newBuilder(
                    URI.create(pipeline.specService() + "/api/v1/specs"))
                    .header("Content-Type", "application/yaml")
                    .header("Authorization", pipeline.bearer("system-test", "submitter", "platform"))
                    // As a traced caller would: the build's trace is the caller's.
                    .header("traceparent", "00-" + traceId + "-" + HexFormat.of().formatHex(randomBytes(8)) + "-01")
                    .POST(HttpRequest.BodyPublishers.ofString(spec)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(201, submitted.statusCode(), submitted.body());
            String buildId = JSON.readTree(submitted.body()).path("builds").get(0).path("id").asText();
            JsonNode build = pipeline.awaitFinalState(buildId);
            assertEquals("PUBLISHED", build.path("state").asText(), build.toPrettyString());
            tracedBuild = new TracedBuild(buildId, traceId);
        }
        return tracedBuild;
    }

    private record TracedBuild(String buildId, String traceId) {
    }

    private static byte[] randomBytes(int count) {
        byte[] bytes = new byte[count];
        new java.security.SecureRandom().nextBytes(bytes);
        return bytes;
    }

    @Test
    void anExampleSpecBecomesAPublishedPackPointingAtAVerifiedImage() throws Exception {
        HttpResponse<String> submitted = post("/api/v1/specs", "application/yaml",
                Files.readAllBytes(pipeline.root.resolve("examples/debian-12-qemu.yaml")));
        assertEquals(201, submitted.statusCode(), submitted.body());
        String buildId = JSON.readTree(submitted.body()).path("builds").get(0).path("id").asText();

        JsonNode build = pipeline.awaitFinalState(buildId);
        assertEquals("PUBLISHED", build.path("state").asText(), build.toPrettyString());
        String artifactUri = build.path("artifact").path("uri").asText();
        String artifactSha256 = build.path("artifact").path("sha256").asText();
        String packReference = build.path("pack").path("reference").asText();
        assertEquals(registryHost() + "/" + PACK_REPOSITORY + ":1.0.0", packReference);
        assertTrue(build.path("timeline").size() >= 3, "the timeline shows every stage: " + build.path("timeline"));

        // The pack, fetched over the registry's own HTTP API.
        JsonNode manifest = JSON.readTree(registryGet("/v2/" + PACK_REPOSITORY + "/manifests/1.0.0",
                "application/vnd.oci.image.manifest.v1+json"));
        assertEquals("application/vnd.oci.image.manifest.v1+json", manifest.path("mediaType").asText());
        assertEquals("application/vnd.unknown.config.v1+json", manifest.path("config").path("mediaType").asText());
        JsonNode layer = manifest.path("layers").get(0);
        assertEquals("byoos-debian-12-1.0.0.tar.gz", layer.path("annotations").path("org.opencontainers.image.title").asText());
        byte[] archive = registryGet("/v2/" + PACK_REPOSITORY + "/blobs/" + layer.path("digest").asText(), "*/*");
        assertEquals(layer.path("digest").asText(), "sha256:" + sha256(archive), "the blob matches its descriptor");
        Map<String, byte[]> pack = untar(archive);
        JsonNode packJson = JSON.readTree(pack.get("byoos-debian-12-1.0.0/pack.json"));
        assertEquals("byoos-debian-12", packJson.path("name").asText());
        assertEquals("1.0.0", packJson.path("version").asText());
        assertEquals("os", packJson.path("layer").asText());
        String values = new String(pack.get("byoos-debian-12-1.0.0/values.yaml"), StandardCharsets.UTF_8);
        // A qemu image is imported into OpenStack's Glance under <pack name>-<version>, sanitised.
        assertEquals("openstack", packJson.path("cloudTypes").get(0).asText());
        assertTrue(values.contains("osImageOverride: \"byoos-debian-12-1-0-0\""), values);
        assertTrue(values.contains("osName: \"debian\""), values);
        assertTrue(values.contains("osVersion: \"12\""), values);
        assertTrue(pack.containsKey("byoos-debian-12-1.0.0/README.md"));
        assertTrue(pack.containsKey("byoos-debian-12-1.0.0/logo.png"));

        // pack-publisher's catalog traces the version back to this build, its image and its spec.
        HttpResponse<String> lineage = http.send(HttpRequest.newBuilder(URI.create(
                pipeline.services.getProperty("pack-publisher.url") + "/api/v1/packs/byoos-debian-12/versions/1.0.0"))
                .header("Authorization", pipeline.bearer("system-test", "viewer", "platform")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, lineage.statusCode(), lineage.body());
        JsonNode version = JSON.readTree(lineage.body());
        assertEquals(packReference, version.path("pack").path("reference").asText());
        assertEquals(artifactSha256, version.path("artifact").path("sha256").asText());
        assertEquals(buildId, version.path("build").path("id").asText());
        assertEquals("platform", version.path("spec").path("team").asText());

        // The image, downloaded from S3 and checked by tools the builder does not control.
        Path image = download(artifactUri);
        assertEquals(artifactSha256, sha256(image), "the stored image has the recorded checksum");
        assertEquals("sha256/" + artifactSha256, artifactUri.substring(artifactUri.indexOf('/', 5) + 1),
                "the artifact is stored under its content address");
        run("qemu-img", "check", "-f", "qcow2", image.toString());
        Path raw = scratch.resolve("image.raw");
        run("qemu-img", "convert", "-f", "qcow2", "-O", "raw", image.toString(), raw.toString());
        Path root = rootPartition(raw);
        assertEquals("This node image was built by BYOOS Factory.\n", run("debugfs", "-R", "cat /etc/motd", root.toString()));

        // And the reference resolves for a standard OCI client.
        String inspected = run("skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + packReference);
        assertEquals(layer.path("digest").asText(), JSON.readTree(inspected).path("layers").get(0).path("digest").asText());
    }

    @Test
    void theEdgeExampleBecomesAnEdgeNativePackWhoseOsImageResolvesToThePushedDigest() throws Exception {
        JsonNode build = publishedBuildOf("examples/debian-12-edge.yaml");
        String osImage = registryHost() + "/byoos/edge/byoos-debian-12-edge:1.0.0";

        // The OS image, by the registry's HTTP API: its manifest digest, and the spec's file in its one layer.
        String osRepository = "/v2/byoos/edge/byoos-debian-12-edge";
        byte[] osManifestBytes = registryGet(osRepository + "/manifests/1.0.0", "application/vnd.oci.image.manifest.v1+json");
        String osDigest = "sha256:" + sha256(osManifestBytes);
        JsonNode osManifest = JSON.readTree(osManifestBytes);
        assertEquals(1, osManifest.path("layers").size());
        JsonNode osLayer = osManifest.path("layers").get(0);
        byte[] rootfs = registryGet(osRepository + "/blobs/" + osLayer.path("digest").asText(), "*/*");
        assertEquals(osLayer.path("digest").asText(), "sha256:" + sha256(rootfs));
        assertEquals("This Edge OS image was built by BYOOS Factory.\n",
                new String(untar(rootfs).get("./etc/motd"), StandardCharsets.UTF_8));

        // The pack: edge-native, pointing Palette at that image and naming its digest.
        String packRepository = "byoos/spectro-packs/archive/byoos-debian-12-edge";
        assertEquals(registryHost() + "/" + packRepository + ":1.0.0", build.path("pack").path("reference").asText());
        JsonNode manifest = JSON.readTree(registryGet("/v2/" + packRepository + "/manifests/1.0.0",
                "application/vnd.oci.image.manifest.v1+json"));
        Map<String, byte[]> pack = untar(registryGet("/v2/" + packRepository + "/blobs/"
                + manifest.path("layers").get(0).path("digest").asText(), "*/*"));
        JsonNode packJson = JSON.readTree(pack.get("byoos-debian-12-edge-1.0.0/pack.json"));
        assertEquals("edge-native", packJson.path("cloudTypes").get(0).asText());
        assertEquals(osDigest, packJson.path("annotations").path("byoos.dev/os-image-digest").asText());
        String values = new String(pack.get("byoos-debian-12-edge-1.0.0/values.yaml"), StandardCharsets.UTF_8);
        assertTrue(values.contains("image: \"" + osImage + "\""), values);
        assertTrue(values.contains("system.uri: \"" + osImage + "\""), values);

        // The stored artifact of record is the image's OCI layout, and skopeo resolves the reference to the digest.
        Path layout = download(build.path("artifact").path("uri").asText());
        assertEquals(build.path("artifact").path("sha256").asText(), sha256(layout));
        assertEquals(osDigest, JSON.readTree(run("skopeo", "inspect", "oci-archive:" + layout)).path("Digest").asText());
        assertEquals(osDigest, JSON.readTree(run("skopeo", "inspect", "--tls-verify=false", "docker://" + osImage))
                .path("Digest").asText());
    }

    @Test
    void theHardenedExamplesUsersKernelSettingsAndCertificateAreInItsRawImage() throws Exception {
        JsonNode build = publishedBuildOf("examples/debian-12-hardened.yaml");
        assertTrue(build.path("timeline").findValuesAsText("type").contains("dev.byoos.build.started.v1"),
                "the worker announced the start: " + build.path("timeline"));

        Path image = download(build.path("artifact").path("uri").asText());
        assertEquals("raw", JSON.readTree(run("qemu-img", "info", "--output=json", image.toString())).path("format").asText());
        Path root = rootPartition(image);
        assertTrue(run("debugfs", "-R", "cat /etc/passwd", root.toString()).contains("\nops:x:1000:1000::/home/ops:"));
        assertTrue(run("debugfs", "-R", "cat /home/ops/.ssh/authorized_keys", root.toString()).startsWith("ssh-ed25519 "));
        assertTrue(run("debugfs", "-R", "cat /etc/sysctl.d/90-byoos.conf", root.toString()).contains("net.ipv4.ip_forward = 1"));
        assertTrue(run("debugfs", "-R", "cat /etc/modules-load.d/byoos.conf", root.toString()).endsWith("\noverlay\nbr_netfilter\n"));
        assertTrue(run("debugfs", "-R", "cat /usr/local/share/ca-certificates/byoos-example-root.crt", root.toString())
                .startsWith("-----BEGIN CERTIFICATE-----"));
        // root:ops, the group of the user this spec creates.
        assertTrue(run("debugfs", "-R", "stat /etc/byoos/ops.conf", root.toString()).contains("Group:  1000"));
    }

    @Test
    void anInvalidSpecIsRejectedWithEveryViolationAndNothingIsStored() throws Exception {
        long specsBefore = count("image_spec");
        long outboxBefore = count("outbox");
        String invalid = new String(Files.readAllBytes(pipeline.root.resolve("examples/debian-12-qemu.yaml")),
                StandardCharsets.UTF_8)
                .replace("name: debian-12-node", "name: Not_A_Label")
                .replace("path: /etc/motd", "path: /etc/../../etc/shadow");
        HttpResponse<String> response = post("/api/v1/specs", "application/yaml", invalid.getBytes(StandardCharsets.UTF_8));
        assertEquals(400, response.statusCode());
        assertEquals("application/problem+json", response.headers().firstValue("Content-Type").orElse(""));
        JsonNode problem = JSON.readTree(response.body());
        Map<String, String> codes = new LinkedHashMap<>();
        problem.path("violations").forEach(v -> codes.put(v.path("pointer").asText(), v.path("code").asText()));
        assertEquals(Map.of("/metadata/name", "INVALID_FORMAT", "/spec/customizations/files/0/path", "UNSAFE_PATH"), codes);
        assertEquals(specsBefore, count("image_spec"), "no spec stored");
        assertEquals(outboxBefore, count("outbox"), "no build requested");
    }

    /**
     * Issue #17's judged flow on the local stack: a spec with a patch policy is published as 1.0.0;
     * running its schedule publishes 1.0.1 (trigger {@code schedule}); revoking 1.0.0 puts a marker
     * beside it in the registry, and the identical spec is then refused rather than reused; a
     * subscribed receiver that fails once gets every event, signed, once per event id.
     */
    @Test
    void aScheduleRunPublishesThePatchVersionARevokedVersionIsMarkedAndNeverReusedAndAReceiverHearsItSigned()
            throws Exception {
        String unique = Long.toHexString(System.nanoTime());
        String specName = "patching-" + unique;
        String packName = "byoos-patching-" + unique;
        String spec = Files.readString(pipeline.root.resolve("examples/debian-12-qemu.yaml"))
                .replace("name: debian-12-node", "name: " + specName)
                .replace("name: byoos-debian-12", "name: " + packName)
                .replace("    version: 1.0.0\n", "    version: 1.0.0\n    versionPolicy: patch\n");
        try (NotificationReceiver receiver = NotificationReceiver.start(1)) {
            HttpResponse<String> subscribed = post("/api/v1/subscriptions", "application/json", JSON.writeValueAsBytes(
                    Map.of("team", "platform", "url", receiver.url(), "eventTypes",
                            List.of("dev.byoos.pack.published.v1", "dev.byoos.pack.revoked.v1"))));
            assertEquals(201, subscribed.statusCode(), subscribed.body());
            String secret = JSON.readTree(subscribed.body()).path("secret").asText();

            HttpResponse<String> submitted = post("/api/v1/specs", "application/yaml", spec.getBytes(StandardCharsets.UTF_8));
            assertEquals(201, submitted.statusCode(), submitted.body());
            JsonNode first = pipeline.awaitFinalState(JSON.readTree(submitted.body()).path("builds").get(0).path("id").asText());
            assertEquals("PUBLISHED", first.path("state").asText(), first.toPrettyString());

            String schedules = "/api/v1/specs/" + specName + "/schedules";
            HttpResponse<String> scheduled = post(schedules + "?team=platform", "application/json",
                    "{\"cron\":\"0 3 * * 1\",\"timeZone\":\"Europe/Berlin\"}".getBytes(StandardCharsets.UTF_8));
            assertEquals(201, scheduled.statusCode(), scheduled.body());
            HttpResponse<String> ran = post(schedules + "/" + JSON.readTree(scheduled.body()).path("id").asText()
                    + "/runs?team=platform", "application/json", new byte[0]);
            assertEquals(202, ran.statusCode(), ran.body());
            JsonNode scheduledBuild = pipeline.awaitFinalState(JSON.readTree(ran.body()).path("builds").get(0).path("id").asText());
            assertEquals("PUBLISHED", scheduledBuild.path("state").asText(), scheduledBuild.toPrettyString());
            assertEquals("schedule", scheduledBuild.path("trigger").asText());
            String repository = "byoos/spectro-packs/archive/" + packName;
            assertEquals(registryHost() + "/" + repository + ":1.0.1", scheduledBuild.path("pack").path("reference").asText());
            registryGet("/v2/" + repository + "/manifests/1.0.1", "application/vnd.oci.image.manifest.v1+json");

            HttpResponse<String> revoked = http.send(HttpRequest.newBuilder(URI.create(
                    pipeline.services.getProperty("pack-publisher.url") + "/api/v1/packs/" + packName
                            + "/versions/1.0.0/revocation"))
                    .header("Content-Type", "application/json")
                    .header("Authorization", pipeline.bearer("system-test-admin", "admin", "platform"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"reason\":\"CVE-2026-0001 in the kernel\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertTrue(revoked.statusCode() / 100 == 2, revoked.statusCode() + ": " + revoked.body());
            // The registry: a marker tag beside the revoked manifest, whose subject is that manifest.
            String revokedDigest = sha256(registryGet("/v2/" + repository + "/manifests/1.0.0",
                    "application/vnd.oci.image.manifest.v1+json"));
            String marker = "sha256-" + revokedDigest + ".revoked";
            List<String> tags = new java.util.ArrayList<>();
            JSON.readTree(registryGet("/v2/" + repository + "/tags/list", "application/json")).path("tags")
                    .forEach(tag -> tags.add(tag.asText()));
            assertTrue(tags.contains(marker), "tags: " + tags);
            assertEquals("sha256:" + revokedDigest, JSON.readTree(registryGet("/v2/" + repository + "/manifests/" + marker,
                    "application/vnd.oci.image.manifest.v1+json")).path("subject").path("digest").asText());

            // The identical spec is refused once spec-service has heard of the revocation: never reused.
            await("the revoked version refused").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                    .untilAsserted(() -> {
                        HttpResponse<String> again = post("/api/v1/specs", "application/yaml",
                                spec.getBytes(StandardCharsets.UTF_8));
                        assertEquals(409, again.statusCode(), again.body());
                        assertTrue(JSON.readTree(again.body()).path("type").asText().endsWith("pack-version-revoked"),
                                again.body());
                    });

            // The receiver: 1.0.0 and 1.0.1 published, 1.0.0 revoked; each signed, each event id accepted once.
            await("three notifications").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                    .until(() -> receiver.accepted().size() >= 3);
            Map<String, String> events = new java.util.TreeMap<>();
            for (NotificationReceiver.Request request : receiver.accepted()) {
                assertEquals(NotificationReceiver.signature(secret, request.timestamp(), request.body()), request.signature(),
                        "the signature covers the timestamp and the body");
                JsonNode event = JSON.readTree(request.body());
                boolean published = event.path("type").asText().endsWith("published.v1");
                JsonNode pack = published ? event.path("data").path("build").path("pack") : event.path("data");
                if (!(published ? pack.path("name") : pack.path("pack")).asText().equals(packName)) {
                    continue; // another test's pack of the same team
                }
                String version = pack.path("version").asText();
                assertEquals(null, events.put(event.path("id").asText(), event.path("type").asText() + " " + version),
                        "event " + event.path("id") + " accepted twice");
            }
            assertEquals(List.of("dev.byoos.pack.published.v1 1.0.0", "dev.byoos.pack.published.v1 1.0.1",
                    "dev.byoos.pack.revoked.v1 1.0.0"), events.values().stream().sorted().toList(), events.toString());
            assertEquals(1, receiver.received() - receiver.accepted().size(), "the one refused attempt was retried");
            HttpResponse<String> unsubscribed = http.send(HttpRequest.newBuilder(URI.create(pipeline.specService()
                    + JSON.readTree(subscribed.body()).path("href").asText()))
                    .header("Authorization", pipeline.bearer("system-test", "submitter", "platform")).DELETE().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(204, unsubscribed.statusCode(), unsubscribed.body());
        }
    }

    @Test
    void theCliSubmitsAndWaitsForThePackDownloadsTheVerifiedImageAndRejectsAnInvalidSpecInOneLine() throws Exception {
        // The example under its own spec and pack names: resubmitting the example itself would turn
        // another test's first submission (201) into an identical resubmission (200), by test order.
        String unique = Long.toHexString(System.nanoTime());
        Path spec = scratch.resolve("cli-example.yaml");
        Files.writeString(spec, Files.readString(pipeline.root.resolve("examples/debian-12-qemu.yaml"))
                .replace("name: debian-12-node", "name: cli-" + unique)
                .replace("name: byoos-debian-12", "name: byoos-cli-" + unique));
        String token = pipeline.bearer("system-test-cli", "submitter", "platform").substring("Bearer ".length());

        CliRun submitted = cli(token, "submit", spec.toString(), "--wait");

        assertEquals(0, submitted.exitCode(), submitted.err());
        String packReference = registryHost() + "/byoos/spectro-packs/archive/byoos-cli-" + unique + ":1.0.0";
        assertTrue(submitted.out().contains("\npack      " + packReference + "\n"), submitted.out());
        Matcher sha256Line = Pattern.compile("\nsha256    ([0-9a-f]{64})\n")
                .matcher(submitted.out());
        assertTrue(sha256Line.find(), submitted.out());
        String sha256 = sha256Line.group(1);

        Path image = scratch.resolve("cli-image.qcow2");
        CliRun downloaded = cli(token, "artifacts", "get", sha256, "-o", image.toString());
        assertEquals(0, downloaded.exitCode(), downloaded.err());
        assertTrue(downloaded.out().contains("sha256    " + sha256 + " (verified)"), downloaded.out());
        assertEquals(sha256, sha256(image), "the file the CLI wrote is the artifact");

        Path invalid = scratch.resolve("cli-invalid.yaml");
        Files.writeString(invalid, Files.readString(spec).replace("name: cli-" + unique, "name: Not_A_Label"));
        CliRun rejected = cli(token, "submit", invalid.toString(), "--wait");
        assertEquals(3, rejected.exitCode(), rejected.out() + rejected.err());
        List<String> lines = rejected.err().lines().toList();
        assertEquals("byoos: POST /api/v1/specs: HTTP 400 The image spec was rejected: 1 violation(s); nothing was stored",
                lines.get(0));
        assertTrue(lines.get(1).startsWith("  /metadata/name  INVALID_FORMAT  "), rejected.err());
        for (CliRun run : List.of(submitted, downloaded, rejected)) {
            assertFalse((run.out() + run.err()).contains(token), "the token is never printed");
        }
    }

    private record CliRun(int exitCode, String out, String err) {
    }

    /** The packaged {@code byoos} CLI, configured the way a CI job is: by environment only. */
    private CliRun cli(String token, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-jar", pipeline.root.resolve("cli/target/byoos-cli.jar").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(scratch.toFile());
        builder.environment().keySet().removeIf(name -> name.startsWith("BYOOS_"));
        builder.environment().putAll(Map.of("BYOOS_URL", pipeline.specService(),
                "BYOOS_ARTIFACTS_URL", pipeline.services.getProperty("artifact-service.url"),
                "BYOOS_PACKS_URL", pipeline.services.getProperty("pack-publisher.url"),
                "BYOOS_TOKEN", token,
                "BYOOS_CONFIG", scratch.resolve("no-cli-config").toString()));
        Path out = Files.createTempFile(scratch, "cli", ".out");
        Path err = Files.createTempFile(scratch, "cli", ".err");
        Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(process.waitFor(10, TimeUnit.MINUTES), "byoos " + String.join(" ", args) + " ended");
        return new CliRun(process.exitValue(), Files.readString(out), Files.readString(err));
    }

    private HttpResponse<String> post(String path, String contentType, byte[] body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(pipeline.specService() + path))
                .header("Content-Type", contentType)
                .header("Authorization", pipeline.bearer("system-test", "submitter", "platform"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private String registryHost() {
        return URI.create(pipeline.endpoints.getProperty("registry.url")).getAuthority();
    }

    private byte[] registryGet(String path, String accept) throws Exception {
        HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(
                URI.create(pipeline.endpoints.getProperty("registry.url") + path)).header("Accept", accept).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, response.statusCode(), path);
        return response.body();
    }

    private Path download(String s3Uri) throws Exception {
        URI uri = URI.create(s3Uri);
        MinioClient s3 = MinioClient.builder()
                .endpoint(pipeline.endpoints.getProperty("s3.endpoint"))
                .region(pipeline.endpoints.getProperty("s3.region"))
                .credentials(pipeline.endpoints.getProperty("s3.access-key"), pipeline.endpoints.getProperty("s3.secret-key"))
                .build();
        Path file = Files.createTempFile(scratch, "image", ".img");
        try (InputStream in = s3.getObject(GetObjectArgs.builder().bucket(uri.getHost()).object(uri.getPath().substring(1))
                .build())) {
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
        }
        return file;
    }

    /** Submits an example spec and waits for its (only) build, which must end PUBLISHED. */
    private JsonNode publishedBuildOf(String example) throws Exception {
        HttpResponse<String> submitted = post("/api/v1/specs", "application/yaml",
                Files.readAllBytes(pipeline.root.resolve(example)));
        assertEquals(201, submitted.statusCode(), submitted.body());
        JsonNode build = pipeline.awaitFinalState(JSON.readTree(submitted.body()).path("builds").get(0).path("id").asText());
        assertEquals("PUBLISHED", build.path("state").asText(), build.toPrettyString());
        return build;
    }

    private long count(String table) throws Exception {
        String url = "jdbc:postgresql://" + pipeline.endpoints.getProperty("postgres.host") + ":"
                + pipeline.endpoints.getProperty("postgres.port") + "/spec_service";
        try (Connection connection = DriverManager.getConnection(url, pipeline.endpoints.getProperty("postgres.username"),
                pipeline.endpoints.getProperty("postgres.password"));
                ResultSet rows = connection.createStatement().executeQuery("select count(*) from " + table)) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private Path rootPartition(Path raw) throws Exception {
        JsonNode table = JSON.readTree(run("sfdisk", "--json", raw.toString())).path("partitiontable");
        JsonNode root = table.path("partitions").get(1);
        assertEquals("4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709", root.path("type").asText());
        long sector = table.path("sectorsize").asLong(512);
        Path partition = Files.createTempFile(scratch, "root", ".ext4");
        try (var in = java.nio.channels.FileChannel.open(raw);
                var out = java.nio.channels.FileChannel.open(partition, java.nio.file.StandardOpenOption.CREATE,
                        java.nio.file.StandardOpenOption.WRITE)) {
            long start = root.path("start").asLong() * sector;
            long size = root.path("size").asLong() * sector;
            for (long done = 0; done < size;) {
                done += in.transferTo(start + done, size - done, out);
            }
        }
        return partition;
    }

    private static Map<String, byte[]> untar(byte[] archive) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (var tar = new TarArchiveInputStream(new GZIPInputStream(new ByteArrayInputStream(archive)))) {
            for (TarArchiveEntry entry; (entry = tar.getNextEntry()) != null;) {
                entries.put(entry.getName(), tar.readAllBytes());
            }
        }
        return entries;
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private static String sha256(Path file) throws Exception {
        MessageDigest digest = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 20];
            for (int read; (read = in.read(buffer)) > 0;) {
                digest.update(buffer, 0, read);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private String run(String... command) throws Exception {
        return Commands.run(scratch, command);
    }
}
