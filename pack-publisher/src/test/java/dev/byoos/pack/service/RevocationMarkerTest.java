package dev.byoos.pack.service;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

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
 * A revoked version is marked in the devstack registry, read back with a plain HTTP client that
 * knows nothing of the factory: the tag {@code sha256-<hex>.revoked} beside the pack holds an OCI
 * artifact whose subject is the pack manifest and whose annotations say why and when. By default
 * the version's tag still resolves (clusters that pinned it keep working); a deprecation leaves no
 * marker.
 */
@QuarkusTest
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "database", value = "pack_publisher"))
class RevocationMarkerTest {

    static final Duration TIMEOUT = Duration.ofSeconds(60);
    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final String ADMIN = TestTokens.bearer("root", "admin");
    static final String SUBMITTER = TestTokens.bearer("alice", "submitter", "team-a");
    static final String SHA = "7a".repeat(32);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;
    @ConfigProperty(name = "byoos.publisher.registry.url")
    String registryUrl;

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

    @Test
    void aRevokedVersionHasAMarkerNamingItsManifestAndItsTagStillResolves() throws Exception {
        String pack = "marked-" + UUID.randomUUID().toString().substring(0, 8);
        PackPublished published = publish(pack);
        String repository = repository(published);
        String marker = RevocationMarker.markerTag(published.manifestDigest());

        retire(pack, "deprecation", SUBMITTER, "superseded");
        assertEquals(404, get(repository, marker).statusCode(), "a deprecation leaves no marker");

        retire(pack, "revocation", ADMIN, "CVE-2026-0001 in the kernel");
        HttpResponse<byte[]> found = get(repository, marker);
        assertEquals(200, found.statusCode());
        JsonNode manifest = json.readTree(found.body());
        assertEquals(published.manifestDigest(), manifest.path("subject").path("digest").asText());
        assertEquals(OCI_MANIFEST, manifest.path("subject").path("mediaType").asText());
        assertEquals(RevocationMarker.ARTIFACT_TYPE, manifest.path("artifactType").asText());
        assertEquals("CVE-2026-0001 in the kernel",
                manifest.path("annotations").path(RevocationMarker.REASON_ANNOTATION).asText());
        assertEquals("root", manifest.path("annotations").path(RevocationMarker.REVOKED_BY_ANNOTATION).asText());
        String revokedAt = manifest.path("annotations").path(RevocationMarker.REVOKED_AT_ANNOTATION).asText();
        given().header("Authorization", ADMIN).get("/api/v1/packs/" + pack + "/versions/1.0.0").then()
                .statusCode(200).body("lifecycle.revoked.at", org.hamcrest.Matchers.notNullValue());
        assertEquals(200, get(repository, "1.0.0").statusCode(), "remove-tag is off by default");

        retire(pack, "revocation", ADMIN, "said again");
        JsonNode again = json.readTree(get(repository, marker).body());
        assertEquals(revokedAt, again.path("annotations").path(RevocationMarker.REVOKED_AT_ANNOTATION).asText(),
                "the first revocation's marker stands");
    }

    private void retire(String pack, String action, String token, String reason) {
        given().header("Authorization", token).contentType(ContentType.JSON).body(Map.of("reason", reason))
                .post("/api/v1/packs/" + pack + "/versions/1.0.0/" + action).then().statusCode(200);
    }

    /** {@code host[:port]/<repository>:<version>} → {@code <repository>} */
    static String repository(PackPublished published) {
        String reference = published.reference();
        return reference.substring(reference.indexOf('/') + 1, reference.lastIndexOf(':'));
    }

    HttpResponse<byte[]> get(String repository, String tag) throws IOException, InterruptedException {
        return get(http, registryUrl, repository, tag);
    }

    /** A manifest as any OCI client reads it, without the factory's registry client. */
    static HttpResponse<byte[]> get(HttpClient http, String registryUrl, String repository, String tag)
            throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(registryUrl + "/v2/" + repository + "/manifests/" + tag))
                .header("Accept", OCI_MANIFEST).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    PackPublished publish(String pack) {
        return publish(kafka, pack);
    }

    static PackPublished publish(KafkaTestClient kafka, String pack) {
        return publish(kafka, artifact(pack), 1);
    }

    /** A new build's artifact of version 1.0.0 of {@code pack}. */
    static ArtifactStored artifact(String pack) {
        BuildCoordinates build = new BuildCoordinates(UUID.randomUUID().toString(), "team-a", "marker-spec", 1,
                "c4".repeat(32), new BuildCoordinates.OperatingSystem("debian", "12"), "1.30.4",
                new BuildCoordinates.Target("qemu", "qcow2"), new BuildCoordinates.Pack(pack, "1.0.0", "Marker test"));
        return new ArtifactStored(build, "byoos-artifacts", "sha256/" + SHA, "s3://byoos-artifacts/sha256/" + SHA, SHA,
                2048, "qcow2");
    }

    /**
     * Delivers {@code artifact} (each time as a record of its own) and waits for its build's
     * {@code announcement}th pack.published.
     */
    static PackPublished publish(KafkaTestClient kafka, ArtifactStored artifact, int announcement) {
        String buildId = artifact.build().buildId();
        kafka.sendCloudEvent(Topics.ARTIFACTS_STORED, buildId, EventTypes.ARTIFACT_STORED,
                UUID.randomUUID().toString(), EventJson.write(artifact));
        return EventJson.read(kafka.awaitRecords(Topics.PACKS_PUBLISHED, buildId, announcement, TIMEOUT)
                .get(announcement - 1).value(), PackPublished.class);
    }
}
