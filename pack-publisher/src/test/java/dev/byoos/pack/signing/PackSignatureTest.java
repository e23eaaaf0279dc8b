package dev.byoos.pack.signing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.UUID;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;

import dev.byoos.contract.ArtifactStored;
import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.PackPublished;
import dev.byoos.contract.Topics;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.KafkaTestClient;
import dev.byoos.testsupport.TestTokens;

/**
 * A published pack's manifest carries a signature in cosign's convention, read back over the
 * registry API with a client of the test's own and checked the way {@code cosign verify --key}
 * checks it (signature tag, simple-signing payload naming the manifest digest, ECDSA-SHA256 over
 * the payload in the layer's annotation), and again with {@code openssl dgst -verify} on the
 * extracted payload and signature. A tampered payload verifies with neither. The signed manifest
 * points at the artifact's signed provenance.
 */
@QuarkusTest
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "database", value = "pack_publisher"))
class PackSignatureTest {

    static final Duration TIMEOUT = Duration.ofSeconds(30);
    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;
    @ConfigProperty(name = "byoos.publisher.registry.url")
    String registryUrl;
    @TempDir
    Path dir;

    KafkaTestClient kafka;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    final ObjectMapper json = new ObjectMapper();

    @BeforeEach
    void connect() {
        kafka = new KafkaTestClient(bootstrapServers);
    }

    @AfterEach
    void disconnect() {
        kafka.close();
    }

    /** What the signature tag holds, as cosign reads it. */
    record CosignSignature(byte[] payload, byte[] signature) {
    }

    @Test
    void aPublishedPackIsSignedSoThatCosignsCheckAndOpensslAcceptItAndRefuseATamperedPayload() throws Exception {
        String buildId = UUID.randomUUID().toString();
        String packName = "signed-" + buildId.substring(0, 8);
        String repository = "byoos/spectro-packs/archive/" + packName;
        String sha256 = "ab".repeat(32);
        ArtifactStored artifact = new ArtifactStored(new BuildCoordinates(buildId, "platform", "node", 1, "cd".repeat(32),
                new BuildCoordinates.OperatingSystem("debian", "12"), "1.30.4",
                new BuildCoordinates.Target("qemu", "qcow2"), new BuildCoordinates.Pack(packName, "1.0.0", "Node")),
                "byoos-artifacts", "sha256/" + sha256, "s3://byoos-artifacts/sha256/" + sha256, sha256, 1024, "qcow2",
                null, null, null, null, null, null, new ArtifactStored.StoredObject("byoos-artifacts",
                        "provenance/" + buildId + "/" + "cd".repeat(32) + ".intoto.json", "cd".repeat(32), 900));
        kafka.sendCloudEvent(Topics.ARTIFACTS_STORED, buildId, EventTypes.ARTIFACT_STORED, UUID.randomUUID().toString(),
                EventJson.write(artifact));
        PackPublished published = EventJson.read(kafka.awaitRecords(Topics.PACKS_PUBLISHED, buildId, 1, TIMEOUT).get(0)
                .value(), PackPublished.class);
        String digest = published.manifestDigest();
        PublicKey key = publicKey();

        CosignSignature signature = signatureOf(repository, digest);
        JsonNode packManifest = json.readTree(get("/v2/" + repository + "/manifests/" + digest, OCI_MANIFEST).body());
        assertEquals("s3://byoos-artifacts/provenance/" + buildId + "/" + "cd".repeat(32) + ".intoto.json",
                packManifest.path("annotations").path("byoos.dev/provenance").asText(),
                "the pack points at the artifact's signed provenance");

        assertTrue(cosignAccepts(signature, digest, key), "cosign's check");
        assertTrue(opensslVerifies(signature.payload(), signature.signature()), "openssl dgst -sha256 -verify");
        assertEquals(URI.create(registryUrl).getAuthority() + "/" + repository, json.readTree(signature.payload())
                .path("critical").path("identity").path("docker-reference").asText());

        // Another manifest's digest in the payload: the signature no longer covers it.
        byte[] tampered = new String(signature.payload(), StandardCharsets.UTF_8)
                .replace(digest, "sha256:" + "00".repeat(32)).getBytes(StandardCharsets.UTF_8);
        CosignSignature forged = new CosignSignature(tampered, signature.signature());
        assertFalse(cosignAccepts(forged, "sha256:" + "00".repeat(32), key), "cosign's check of a tampered payload");
        assertFalse(opensslVerifies(tampered, signature.signature()), "openssl on a tampered payload");
    }

    /** The manifest tagged {@code sha256-<hex>.sig}, its payload layer (digest checked) and the layer's signature annotation. */
    private CosignSignature signatureOf(String repository, String digest) throws Exception {
        HttpResponse<byte[]> manifest = get("/v2/" + repository + "/manifests/" + digest.replace(':', '-') + ".sig",
                OCI_MANIFEST);
        assertEquals(200, manifest.statusCode(), "the signature tag exists");
        JsonNode layer = json.readTree(manifest.body()).path("layers").path(0);
        assertEquals("application/vnd.dev.cosign.simplesigning.v1+json", layer.path("mediaType").asText());
        HttpResponse<byte[]> blob = get("/v2/" + repository + "/blobs/" + layer.path("digest").asText(), "*/*");
        assertEquals(200, blob.statusCode());
        assertEquals(layer.path("digest").asText(), "sha256:" + HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-256").digest(blob.body())));
        return new CosignSignature(blob.body(), Base64.getDecoder().decode(
                layer.path("annotations").path("dev.cosignproject.cosign/signature").asText()));
    }

    /** cosign verify --key: the payload names the image's digest, and the key signed the payload's bytes. */
    private boolean cosignAccepts(CosignSignature signature, String digest, PublicKey key) throws Exception {
        JsonNode critical = json.readTree(signature.payload()).path("critical");
        if (!"cosign container image signature".equals(critical.path("type").asText())
                || !digest.equals(critical.path("image").path("docker-manifest-digest").asText())) {
            return false;
        }
        Signature verifier = Signature.getInstance("SHA256withECDSA");
        verifier.initVerify(key);
        verifier.update(signature.payload());
        return verifier.verify(signature.signature());
    }

    private boolean opensslVerifies(byte[] payload, byte[] signature) throws Exception {
        Path payloadFile = Files.write(dir.resolve(UUID.randomUUID() + ".json"), payload);
        Path signatureFile = Files.write(dir.resolve(UUID.randomUUID() + ".sig"), signature);
        Process openssl = new ProcessBuilder("openssl", "dgst", "-sha256", "-verify",
                TestTokens.signingKeys().publicKeyFile().toAbsolutePath().toString(), "-signature",
                signatureFile.toString(), payloadFile.toString()).redirectErrorStream(true).start();
        String output = new String(openssl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return openssl.waitFor() == 0 && output.contains("Verified OK");
    }

    private static PublicKey publicKey() throws Exception {
        String pem = Files.readString(TestTokens.signingKeys().publicKeyFile());
        return KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(
                Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""))));
    }

    private HttpResponse<byte[]> get(String path, String accept) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(registryUrl + path)).header("Accept", accept).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }
}
