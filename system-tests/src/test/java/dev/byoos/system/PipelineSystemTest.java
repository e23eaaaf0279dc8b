package dev.byoos.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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

import io.minio.GetObjectArgs;
import io.minio.MinioClient;

/**
 * One spec in over REST, one pack out in the registry: every result is checked with clients and
 * tools independent of the code that produced it (registry HTTP API, S3, qemu-img, debugfs).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PipelineSystemTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PACK_REPOSITORY = "byoos/spectro-packs/archive/byoos-debian-12";

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private LocalPipeline pipeline;

    @TempDir
    Path scratch;

    @BeforeAll
    void startPipeline() throws Exception {
        pipeline = LocalPipeline.start();
    }

    @AfterAll
    void stopPipeline() throws Exception {
        if (pipeline != null) {
            pipeline.close();
        }
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
        assertTrue(values.contains("osImageOverride: \"" + artifactUri + "\""), values);
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
        Process process = new ProcessBuilder(command).directory(scratch.toFile()).start();
        byte[] out = process.getInputStream().readAllBytes();
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(2, TimeUnit.MINUTES), String.join(" ", command) + " timed out");
        assertEquals(0, process.exitValue(), String.join(" ", command) + " failed: " + err);
        return new String(out, StandardCharsets.UTF_8);
    }
}
