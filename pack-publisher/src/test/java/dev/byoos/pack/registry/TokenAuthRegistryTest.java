package dev.byoos.pack.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;

import dev.byoos.contract.ArtifactStored;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.PackPublished;
import dev.byoos.contract.Topics;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.KafkaTestClient;

/**
 * The publisher against a distribution registry with token auth: it answers the registry's Bearer
 * challenge by fetching a token from the realm with its credentials, and pushes with it.
 */
@QuarkusTest
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "database", value = "pack_publisher"))
@QuarkusTestResource(value = TokenAuthRegistryResource.class, restrictToAnnotatedClass = true)
class TokenAuthRegistryTest {

    static final Duration TIMEOUT = Duration.ofSeconds(60);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void publishesWithATokenFromTheRegistrysRealm() throws Exception {
        String packName = "token-" + UUID.randomUUID().toString().substring(0, 8);
        String repository = "byoos/spectro-packs/archive/" + packName;
        ArtifactStored event = PublishedPackPullTest.artifact(packName, "qemu", "qcow2", List.of(), null);
        String buildId = event.build().buildId();
        PackPublished published;
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrapServers)) {
            kafka.sendCloudEvent(Topics.ARTIFACTS_STORED, buildId, EventTypes.ARTIFACT_STORED,
                    UUID.randomUUID().toString(), EventJson.write(event));
            published = EventJson.read(kafka.awaitRecords(Topics.PACKS_PUBLISHED, buildId, 1, TIMEOUT).get(0).value(),
                    PackPublished.class);
        }
        assertTrue(TokenAuthRegistryResource.tokens.tokensIssued() > 0, "the publisher fetched tokens");

        URI manifest = URI.create(TokenAuthRegistryResource.registry.url() + "/v2/" + repository + "/manifests/1.0.0");
        HttpResponse<String> anonymous = http.send(HttpRequest.newBuilder(manifest).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(401, anonymous.statusCode());
        assertTrue(anonymous.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer realm="));

        String token = new ObjectMapper().readTree(http.send(HttpRequest.newBuilder(URI.create(
                TokenAuthRegistryResource.tokens.realm() + "?service=" + RegistryTokenService.SERVICE + "&scope="
                        + URLEncoder.encode("repository:" + repository + ":pull", StandardCharsets.UTF_8)))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString((TokenAuthRegistryResource.USERNAME
                        + ":" + TokenAuthRegistryResource.PASSWORD).getBytes(StandardCharsets.UTF_8)))
                .build(), HttpResponse.BodyHandlers.ofString()).body()).path("token").asText();
        HttpResponse<String> pulled = http.send(HttpRequest.newBuilder(manifest)
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/vnd.oci.image.manifest.v1+json").build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, pulled.statusCode(), pulled.body());
        assertEquals(published.manifestDigest(), pulled.headers().firstValue("Docker-Content-Digest").orElseThrow());
    }
}
