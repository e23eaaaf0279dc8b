package dev.byoos.pack.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;

import dev.byoos.contract.ArtifactStored;
import dev.byoos.contract.BuildCompleted.CloudImage;
import dev.byoos.contract.BuildCompleted.OciImage;
import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.PackPublished;
import dev.byoos.contract.Topics;
import dev.byoos.pack.render.PackCentralRules;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.KafkaTestClient;

/**
 * Publishes a pack per target through Kafka, then pulls it the way any OCI client would — plain
 * distribution-API calls, nothing from the publisher's code — and checks the manifest, both blobs
 * and every file in the tarball. For Edge it first pushes a small OS image the same way and checks
 * that the pack's image reference resolves to it.
 */
@QuarkusTest
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "database", value = "pack_publisher"))
class PublishedPackPullTest {

    static final Duration TIMEOUT = Duration.ofSeconds(60);
    static final String SHA = "9a".repeat(32);
    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final ObjectMapper JSON = new ObjectMapper();

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;
    @ConfigProperty(name = "byoos.publisher.registry.url")
    String registryUrl;

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

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "aws,     ami,     aws,     ami-0f4804aff4cf9c5a2",
        "azure,   vhd,     azure,   https://byoostest.blob.core.windows.net/vhds/<sha>.vhd",
        "vsphere, ova,     vsphere, r_u-debian-12-k-1304",
        "gcp,     gcp-tar, gcp,     <name>-1-0-0",
        "maas,    tgz,     maas,    custom/<name>-1-0-0",
        "qemu,    qcow2,   openstack, <name>-1-0-0",
    })
    void aGenericPackPullsWithEveryFileInPlace(String cloud, String format, String cloudType, String expectedOverride)
            throws Exception {
        String packName = "pull-" + cloud + "-" + UUID.randomUUID().toString().substring(0, 8);
        List<CloudImage> cloudImages = switch (cloud) {
            case "aws" -> List.of(new CloudImage("aws", "us-east-1", "ami-0f4804aff4cf9c5a2"));
            case "vsphere" -> List.of(new CloudImage("vsphere", null, "r_u-debian-12-k-1304"));
            default -> List.of();
        };
        ArtifactStored artifact = artifact(packName, cloud, format, cloudImages, null);
        PackPublished published = publish(artifact);
        String osImageOverride = expectedOverride.replace("<name>", packName).replace("<sha>", SHA);
        assertEquals(osImageOverride, published.osImageOverride());

        Map<String, byte[]> files = pull(packName, published);
        JsonNode packJson = JSON.readTree(files.get("pack.json"));
        assertPackJson(packJson, packName, cloudType, "generic-byoi");
        assertEquals("# Bring Your Own OS (generic-byoi): the node image this pack deploys.\n"
                + "pack:\n"
                + "  osImageOverride: \"" + osImageOverride + "\"\n"
                + "  osName: \"debian\"\n"
                + "  osVersion: \"12\"\n", new String(files.get("values.yaml"), StandardCharsets.UTF_8));
        assertReadme(files, artifact, "| osImageOverride | `" + osImageOverride + "` |");
        assertEquals(List.of(), PackCentralRules.violations(files));
    }

    @Test
    void anEdgePackNamesAnOsImageThatPullsToo() throws Exception {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        String osRepository = "edge/debian-os-" + suffix;
        String osImageDigest = pushOsImage(osRepository, "1.0.0");
        String osImageReference = URI.create(registryUrl).getAuthority() + "/" + osRepository + ":1.0.0";

        String packName = "pull-edge-" + suffix;
        ArtifactStored artifact = artifact(packName, "edge", "oci", List.of(), new OciImage(osImageReference, osImageDigest));
        PackPublished published = publish(artifact);
        assertEquals(osImageReference, published.osImageOverride());

        Map<String, byte[]> files = pull(packName, published);
        JsonNode packJson = JSON.readTree(files.get("pack.json"));
        assertPackJson(packJson, packName, "edge-native", "edge-native-byoi");
        assertEquals(osImageDigest, packJson.path("annotations").path("byoos.dev/os-image-digest").asText());
        String values = new String(files.get("values.yaml"), StandardCharsets.UTF_8);
        assertEquals("# Bring Your Own OS for Edge (edge-native-byoi): the OS image this pack installs.\n"
                + "pack:\n"
                + "  content:\n"
                + "    images:\n"
                + "      - image: \"" + osImageReference + "\"\n"
                + "options:\n"
                + "  system.uri: \"" + osImageReference + "\"\n"
                + "  system.registry: \"" + URI.create(registryUrl).getAuthority() + "\"\n"
                + "  system.repo: \"" + osRepository + "\"\n"
                + "  system.k8sDistribution: \"kubeadm\"\n"
                + "  system.osName: \"debian\"\n"
                + "  system.osVersion: \"12\"\n"
                + "  system.peVersion: \"\"\n"
                + "  system.customTag: \"1.0.0\"\n", values);
        assertReadme(files, artifact, "| system.uri | `" + osImageReference + "` |");
        assertEquals(List.of(), PackCentralRules.violations(files));

        // The reference the pack hands Palette resolves to the very image the build pushed.
        String[] repositoryAndTag = osImageReference.substring(osImageReference.indexOf('/') + 1).split(":");
        HttpResponse<byte[]> osManifest = get("/v2/" + repositoryAndTag[0] + "/manifests/" + repositoryAndTag[1], OCI_MANIFEST);
        assertEquals(200, osManifest.statusCode());
        assertEquals(osImageDigest, sha256(osManifest.body()));
        JsonNode layer = JSON.readTree(osManifest.body()).path("layers").get(0);
        assertEquals(layer.path("digest").asText(), sha256(blob(repositoryAndTag[0], layer.path("digest").asText())));
    }

    /**
     * Palette's OCI pack registry guides create {@code <base content path>/spectro-packs/archive}
     * before any pack repository (by pushing an empty artifact where the registry creates
     * repositories on push); its sync lists the packs below it.
     */
    @Test
    void afterAPublishTheBaseRepositoryIsListedAndHoldsAnEmptyArtifact() throws Exception {
        String packName = "pull-base-" + UUID.randomUUID().toString().substring(0, 8);
        publish(artifact(packName, "maas", "tgz", List.of(), null));

        String base = "byoos/spectro-packs/archive";
        assertTrue(catalog().contains(base), "the registry's catalog lists " + base);
        HttpResponse<byte[]> response = get("/v2/" + base + "/manifests/latest", OCI_MANIFEST);
        assertEquals(200, response.statusCode());
        JsonNode manifest = JSON.readTree(response.body());
        assertEquals(OCI_MANIFEST, manifest.path("mediaType").asText());
        assertEquals("application/vnd.unknown.config.v1+json", manifest.path("config").path("mediaType").asText());
        assertEquals("{}", new String(blob(base, manifest.path("config").path("digest").asText()), StandardCharsets.UTF_8));
        assertEquals(0, manifest.path("layers").size(), "an empty artifact, as `oras push <base repository>` writes");
    }

    /** Every repository of {@code /v2/_catalog}, following its {@code Link} pages. */
    private List<String> catalog() throws Exception {
        List<String> repositories = new ArrayList<>();
        String next = "/v2/_catalog?n=100";
        while (next != null) {
            HttpResponse<byte[]> page = get(next, "application/json");
            assertEquals(200, page.statusCode());
            JSON.readTree(page.body()).path("repositories").forEach(name -> repositories.add(name.asText()));
            next = page.headers().firstValue("Link").map(link -> link.substring(link.indexOf('<') + 1, link.indexOf('>')))
                    .orElse(null);
        }
        return repositories;
    }

    private PackPublished publish(ArtifactStored artifact) {
        String buildId = artifact.build().buildId();
        kafka.sendCloudEvent(Topics.ARTIFACTS_STORED, buildId, EventTypes.ARTIFACT_STORED,
                UUID.randomUUID().toString(), EventJson.write(artifact));
        return EventJson.read(kafka.awaitRecords(Topics.PACKS_PUBLISHED, buildId, 1, TIMEOUT).get(0).value(),
                PackPublished.class);
    }

    /** Manifest, config and layer over the distribution API; returns the tarball's files by name. */
    private Map<String, byte[]> pull(String packName, PackPublished published) throws Exception {
        String repository = "byoos/spectro-packs/archive/" + packName;
        assertEquals(URI.create(registryUrl).getAuthority() + "/" + repository + ":1.0.0", published.reference());
        HttpResponse<byte[]> response = get("/v2/" + repository + "/manifests/1.0.0", OCI_MANIFEST);
        assertEquals(200, response.statusCode());
        assertEquals(published.manifestDigest(), sha256(response.body()));
        JsonNode manifest = JSON.readTree(response.body());
        assertEquals(2, manifest.path("schemaVersion").asInt());
        assertEquals(OCI_MANIFEST, manifest.path("mediaType").asText());
        // What `oras push` writes for a file: the empty "unknown" config and one titled tar layer.
        assertEquals("application/vnd.unknown.config.v1+json", manifest.path("config").path("mediaType").asText());
        byte[] config = blob(repository, manifest.path("config").path("digest").asText());
        assertEquals("{}", new String(config, StandardCharsets.UTF_8));
        assertEquals(1, manifest.path("layers").size());
        JsonNode layer = manifest.path("layers").get(0);
        assertEquals("application/vnd.oci.image.layer.v1.tar", layer.path("mediaType").asText());
        assertEquals(packName + "-1.0.0.tar.gz", layer.path("annotations").path("org.opencontainers.image.title").asText());
        byte[] tarball = blob(repository, layer.path("digest").asText());
        assertEquals(layer.path("size").asLong(), tarball.length);
        assertEquals(layer.path("digest").asText(), sha256(tarball));

        Map<String, byte[]> files = new LinkedHashMap<>();
        try (var tar = new TarArchiveInputStream(new GZIPInputStream(new ByteArrayInputStream(tarball)))) {
            for (TarArchiveEntry entry; (entry = tar.getNextEntry()) != null;) {
                String prefix = packName + "-1.0.0/";
                assertTrue(entry.getName().startsWith(prefix), entry.getName());
                if (!entry.isDirectory()) {
                    files.put(entry.getName().substring(prefix.length()), tar.readAllBytes());
                }
            }
        }
        assertEquals(List.of("README.md", "logo.png", "pack.json", "schema.yaml", "values.yaml"),
                List.copyOf(files.keySet()));
        assertArrayEquals(Files.readAllBytes(Path.of("src/main/resources/pack/logo.png")), files.get("logo.png"));
        return files;
    }

    private static void assertPackJson(JsonNode packJson, String packName, String cloudType, String kind) {
        assertEquals(packName, packJson.path("name").asText());
        assertEquals("Pull test", packJson.path("displayName").asText());
        assertEquals("1.0.0", packJson.path("version").asText());
        assertEquals("os", packJson.path("layer").asText());
        assertEquals(1, packJson.path("cloudTypes").size());
        assertEquals(cloudType, packJson.path("cloudTypes").get(0).asText());
        assertEquals(kind, packJson.path("annotations").path("byoos.dev/pack-kind").asText());
        assertEquals(SHA, packJson.path("annotations").path("byoos.dev/image-sha256").asText());
    }

    private static void assertReadme(Map<String, byte[]> files, ArtifactStored artifact, String imageRow) {
        String readme = new String(files.get("README.md"), StandardCharsets.UTF_8);
        for (String expected : List.of("# Pull test\n", imageRow, "| team | platform |", "| spec | node version 7 |",
                "| spec digest | `" + artifact.build().specDigest() + "` |",
                "| build | `" + artifact.build().buildId() + "` |",
                "| artifact sha256 | `" + SHA + "` |",
                "| signature | cosign-blob by key `sha256:" + "12".repeat(32) + "`: `MEUCIQDtest==` |",
                "| SBOM | `s3://byoos-artifacts/sboms/" + SHA + ".cdx.json` (sha256 `" + SHA + "`) |")) {
            assertTrue(readme.contains(expected), () -> expected + " missing from\n" + readme);
        }
    }

    static ArtifactStored artifact(String packName, String cloud, String format, List<CloudImage> cloudImages,
            OciImage ociImage) {
        BuildCoordinates build = new BuildCoordinates(UUID.randomUUID().toString(), "platform", "node", 7,
                "cd".repeat(32), new BuildCoordinates.OperatingSystem("debian", "12"), "1.30.4",
                new BuildCoordinates.Target(cloud, format), new BuildCoordinates.Pack(packName, "1.0.0", "Pull test"));
        return new ArtifactStored(build, "byoos-artifacts", "sha256/" + SHA, "s3://byoos-artifacts/sha256/" + SHA, SHA,
                4096, format, new ArtifactStored.StoredObject("byoos-artifacts", "sboms/" + SHA + ".cdx.json", SHA, 10),
                null, new ArtifactStored.Signature("cosign-blob", "sha256:" + "12".repeat(32), "MEUCIQDtest=="),
                cloudImages, ociImage);
    }

    /** Pushes a one-layer OCI image (an os-release file) with plain HTTP; returns its manifest digest. */
    private String pushOsImage(String repository, String tag) throws Exception {
        byte[] layer = tarGz("etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n".getBytes(StandardCharsets.UTF_8));
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
                + sha256(gunzip(layer)) + "\"]}}").getBytes(StandardCharsets.UTF_8);
        uploadBlob(repository, config);
        uploadBlob(repository, layer);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + OCI_MANIFEST + "\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + sha256(config)
                + "\",\"size\":" + config.length + "},"
                + "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\""
                + sha256(layer) + "\",\"size\":" + layer.length + "}]}").getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create(registryUrl + "/v2/" + repository
                + "/manifests/" + tag)).header("Content-Type", OCI_MANIFEST)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(manifest)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, put.statusCode(), put.body());
        return sha256(manifest);
    }

    private void uploadBlob(String repository, byte[] blob) throws Exception {
        HttpResponse<String> start = http.send(HttpRequest.newBuilder(URI.create(registryUrl + "/v2/" + repository
                + "/blobs/uploads/")).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(202, start.statusCode(), start.body());
        URI location = URI.create(registryUrl).resolve(start.headers().firstValue("Location").orElseThrow());
        HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create(location + (location.getQuery() == null
                ? "?" : "&") + "digest=" + sha256(blob))).PUT(HttpRequest.BodyPublishers.ofByteArray(blob)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(201, put.statusCode(), put.body());
    }

    private HttpResponse<byte[]> get(String path, String accept) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(registryUrl + path)).header("Accept", accept).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    private byte[] blob(String repository, String digest) throws Exception {
        HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(URI.create(registryUrl + "/v2/" + repository
                + "/blobs/" + digest)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, response.statusCode(), repository + "@" + digest);
        return response.body();
    }

    private static byte[] tarGz(String name, byte[] content) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (var tar = new TarArchiveOutputStream(new GZIPOutputStream(bytes))) {
            TarArchiveEntry entry = new TarArchiveEntry(name);
            entry.setSize(content.length);
            tar.putArchiveEntry(entry);
            tar.write(content);
            tar.closeArchiveEntry();
        }
        return bytes.toByteArray();
    }

    private static byte[] gunzip(byte[] gzip) throws IOException {
        try (var in = new GZIPInputStream(new ByteArrayInputStream(gzip))) {
            return in.readAllBytes();
        }
    }

    static String sha256(byte[] bytes) throws Exception {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
