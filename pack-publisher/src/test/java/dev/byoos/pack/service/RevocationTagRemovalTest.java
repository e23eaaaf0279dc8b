package dev.byoos.pack.service;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.http.HttpClient;
import java.util.Map;
import java.util.UUID;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;

import dev.byoos.contract.ArtifactStored;
import dev.byoos.contract.PackPublished;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.KafkaTestClient;

/**
 * With {@code byoos.publisher.revocation.remove-tag} a revoked version's tag no longer resolves
 * (its pack manifest is deleted, which the devstack registry allows), while its marker stays;
 * revoking again is no failure, and the build's artifact.stored delivered again does not tag it again.
 */
@QuarkusTest
@TestProfile(RevocationTagRemovalTest.RemoveTag.class)
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "database", value = "pack_publisher"))
class RevocationTagRemovalTest {

    public static class RemoveTag implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("byoos.publisher.revocation.remove-tag", "true");
        }
    }

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;
    @ConfigProperty(name = "byoos.publisher.registry.url")
    String registryUrl;

    @Test
    void aRevokedVersionsTagIsRemovedAndItsMarkerStaysAndARedeliveryDoesNotTagItAgain() throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        String pack = "removed-" + UUID.randomUUID().toString().substring(0, 8);
        ArtifactStored artifact = RevocationMarkerTest.artifact(pack);
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrapServers)) {
            PackPublished published = RevocationMarkerTest.publish(kafka, artifact, 1);
            String repository = RevocationMarkerTest.repository(published);
            assertEquals(200, RevocationMarkerTest.get(http, registryUrl, repository, "1.0.0").statusCode());
            for (int i = 0; i < 2; i++) {
                given().header("Authorization", RevocationMarkerTest.ADMIN).contentType(ContentType.JSON)
                        .body(Map.of("reason", "withdrawn"))
                        .post("/api/v1/packs/" + pack + "/versions/1.0.0/revocation").then().statusCode(200);
            }
            assertEquals(404, RevocationMarkerTest.get(http, registryUrl, repository, "1.0.0").statusCode());
            assertEquals(200, RevocationMarkerTest.get(http, registryUrl, repository,
                    RevocationMarker.markerTag(published.manifestDigest())).statusCode());

            // The build's artifact.stored delivered again (a rewound group, a replay): announced as
            // it was, and the revoked version's tag stays removed.
            PackPublished again = RevocationMarkerTest.publish(kafka, artifact, 2);
            assertEquals(published.manifestDigest(), again.manifestDigest());
            assertEquals(published.reference(), again.reference());
            assertEquals(404, RevocationMarkerTest.get(http, registryUrl, repository, "1.0.0").statusCode(),
                    "the redelivery tagged the revoked version again");
        }
    }
}
