package dev.byoos.worker.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.zip.GZIPInputStream;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.minio.MinioClient;
import io.minio.RemoveObjectArgs;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildRequested;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.Topics;
import dev.byoos.testsupport.DevStackResource;

/**
 * A Palette Edge build on real Kafka, S3 and the stack's registry: the OS image the worker pushed is
 * pulled back over the distribution HTTP API with a client of the test's own (manifest, config,
 * layer), every digest recomputed, and the spec's file read out of the layer with GNU tar.
 */
@QuarkusTest
@QuarkusTestResource(DevStackResource.class)
@QuarkusTestResource(TestBasesResource.class)
class EdgeOciImageTest extends WorkerKafkaTest {

    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

    @ConfigProperty(name = "byoos.registry.url")
    String registryUrl;
    @ConfigProperty(name = "byoos.s3.staging-bucket")
    String stagingBucket;

    @TempDir
    Path readBack;

    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void anEdgeBuildPushesItsOsImageAndStagesTheLayoutPullableByDigest() throws Exception {
        String buildId = UUID.randomUUID().toString();
        String packName = "edge-" + buildId.substring(0, 8);
        BuildRequested request = edgeRequest(buildId, packName);
        send(request, UUID.randomUUID().toString());

        BuildCompleted completed = EventJson.read(
                kafka.awaitRecords(Topics.BUILDS_COMPLETED, buildId, 1, TIMEOUT).get(0).value(), BuildCompleted.class);
        assertEquals("oci", completed.image().format());
        assertEquals("builds/" + buildId + "/attempt-1/image.oci.tar", completed.image().key());
        assertEquals(sha256Of(completed.image().bucket(), completed.image().key()), completed.image().sha256());
        String repository = "byoos/edge/" + packName;
        String host = URI.create(registryUrl).getAuthority();
        assertEquals(host + "/" + repository + ":1.0.0", completed.ociImage().reference());
        String digest = completed.ociImage().digest();
        assertTrue(digest.matches("sha256:[0-9a-f]{64}"), digest);

        // The manifest under the tag is the reported one, by the registry's header and by its bytes.
        HttpResponse<byte[]> manifestResponse = get("/v2/" + repository + "/manifests/1.0.0", OCI_MANIFEST);
        assertEquals(200, manifestResponse.statusCode());
        assertEquals(digest, manifestResponse.headers().firstValue("Docker-Content-Digest").orElseThrow());
        assertEquals(digest, sha256(manifestResponse.body()));
        JsonNode manifest = json.readTree(manifestResponse.body());
        assertEquals(OCI_MANIFEST, manifest.path("mediaType").asText());

        JsonNode config = json.readTree(blob(repository, manifest.path("config")));
        assertEquals("amd64", config.path("architecture").asText());
        assertEquals("linux", config.path("os").asText());
        assertEquals(buildId, config.path("config").path("Labels").path("dev.byoos.build-id").asText());
        assertEquals("platform/node@1", config.path("config").path("Labels").path("dev.byoos.spec").asText());

        assertEquals(1, manifest.path("layers").size());
        assertEquals("application/vnd.oci.image.layer.v1.tar+gzip",
                manifest.path("layers").path(0).path("mediaType").asText());
        byte[] layer = blob(repository, manifest.path("layers").path(0));
        assertEquals(config.path("rootfs").path("diff_ids").path(0).asText(), sha256(gunzip(layer)),
                "the uncompressed layer is the config's diff_id");
        Path layerFile = readBack.resolve("layer.tar.gz");
        Files.write(layerFile, layer);
        tar("-xzf", layerFile.toString(), "-C", readBack.toString(), "./etc/motd");
        assertEquals("hello edge\n", Files.readString(readBack.resolve("etc/motd")));

        // A build redelivered before its completion record was written builds and pushes again: same image.
        MinioClient.builder().endpoint(s3Endpoint).region("us-east-1").credentials(s3AccessKey, s3SecretKey).build()
                .removeObject(RemoveObjectArgs.builder().bucket(stagingBucket)
                        .object("builds/" + buildId + "/build-completed.json").build());
        send(request, UUID.randomUUID().toString());
        BuildCompleted again = EventJson.read(
                kafka.awaitRecords(Topics.BUILDS_COMPLETED, buildId, 2, TIMEOUT).get(1).value(), BuildCompleted.class);
        assertEquals(completed.ociImage(), again.ociImage());
        assertEquals(completed.image().sha256(), again.image().sha256());
        assertEquals(digest, get("/v2/" + repository + "/manifests/1.0.0", OCI_MANIFEST).headers()
                .firstValue("Docker-Content-Digest").orElseThrow());
    }

    private static BuildRequested edgeRequest(String buildId, String packName) {
        return new BuildRequested(new BuildCoordinates(buildId, "platform", "node", 1, "ef".repeat(32),
                new BuildCoordinates.OperatingSystem("debian", "12"), "1.30.4",
                new BuildCoordinates.Target("edge", "oci"), new BuildCoordinates.Pack(packName, "1.0.0", "Edge node")),
                new BuildRequested.BaseImage("debian-12-skeleton"),
                List.of(new BuildRequested.FileCustomization("/etc/motd", "hello edge\n", "0644")));
    }

    private HttpResponse<byte[]> get(String path, String accept) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(registryUrl + path)).header("Accept", accept).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    /** The blob a descriptor names, checked against the descriptor's digest and size. */
    private byte[] blob(String repository, JsonNode descriptor) throws Exception {
        String digest = descriptor.path("digest").asText();
        HttpResponse<byte[]> response = get("/v2/" + repository + "/blobs/" + digest, "*/*");
        assertEquals(200, response.statusCode(), "blob " + digest);
        assertEquals(digest, sha256(response.body()));
        assertEquals(descriptor.path("size").asLong(), response.body().length);
        return response.body();
    }

    private static String sha256(byte[] bytes) throws Exception {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private static byte[] gunzip(byte[] gzip) throws IOException {
        try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(gzip))) {
            return in.readAllBytes();
        }
    }

    private static void tar(String... arguments) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of("tar"));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertEquals(0, process.waitFor(), "tar " + String.join(" ", arguments) + ": " + output);
    }
}
