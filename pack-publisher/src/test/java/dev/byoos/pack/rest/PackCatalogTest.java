package dev.byoos.pack.rest;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.sqlclient.Pool;

import dev.byoos.contract.ArtifactStored;
import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.PackPublished;
import dev.byoos.contract.Topics;
import dev.byoos.pack.render.PackRenderer;
import dev.byoos.pack.render.TargetSettings;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.KafkaTestClient;
import dev.byoos.testsupport.TestTokens;

/**
 * The pack catalog on the real service, database, Kafka and registry: packs published through
 * Kafka are listed with their versions and lineage, once however often an event is redelivered,
 * and only to their own team (another team's pack looks absent), to callers with a role.
 */
@QuarkusTest
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "database", value = "pack_publisher"))
class PackCatalogTest {

    @Inject
    Pool databasePool;

    static final Duration TIMEOUT = Duration.ofSeconds(60);
    static final String ALICE_VIEWER = TestTokens.bearer("alice", "viewer", "team-a");
    static final String BOB = TestTokens.bearer("bob", "submitter", "team-b");
    static final String ADMIN = TestTokens.bearer("root", "admin");
    static final String NO_ROLE = TestTokens.bearer("eve", "auditor", "team-a");
    static final String SHA = "5e".repeat(32);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    KafkaTestClient kafka;
    String alicePack;
    String bobPack;
    ArtifactStored aliceArtifact;
    PackPublished alicePublished;

    @BeforeEach
    void eachTeamPublishesAPack() {
        kafka = new KafkaTestClient(bootstrapServers);
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        alicePack = "catalog-a-" + suffix;
        bobPack = "catalog-b-" + suffix;
        aliceArtifact = artifact("team-a", alicePack);
        alicePublished = publish(aliceArtifact, 1);
        publish(artifact("team-b", bobPack), 1);
    }

    @AfterEach
    void disconnect() {
        kafka.close();
    }

    @Test
    void theDatabasePoolBoundsItsOwnWaitForAConnectionAtVertxsThirtySeconds() {
        // DatabasePool: the pool's own timer can lease a connection to nobody (PoolAcquireTimeout).
        assertTrue(databasePool.toString().startsWith("acquire-timeout(30000 ms) "), databasePool::toString);
    }

    @Test
    void aVersionShowsItsLineageFromPackToSpec() {
        BuildCoordinates build = aliceArtifact.build();
        given().header("Authorization", ALICE_VIEWER).get("/api/v1/packs/" + alicePack + "/versions/1.0.0").then()
                .statusCode(200)
                .body("pack.name", equalTo(alicePack))
                .body("pack.displayName", equalTo("Catalog test"))
                .body("pack.version", equalTo("1.0.0"))
                .body("pack.team", equalTo("team-a"))
                .body("pack.kind", equalTo("generic-byoi"))
                .body("pack.cloudType", equalTo("openstack"))
                .body("pack.reference", equalTo(alicePublished.reference()))
                .body("pack.manifestDigest", equalTo(alicePublished.manifestDigest()))
                .body("pack.osImageOverride", equalTo(alicePack + "-1-0-0"))
                .body("artifact.sha256", equalTo(SHA))
                .body("artifact.uri", equalTo("s3://byoos-artifacts/sha256/" + SHA))
                .body("artifact.size", equalTo(2048))
                .body("artifact.format", equalTo("qcow2"))
                .body("artifact.signatureKeyId", equalTo("sha256:" + "12".repeat(32)))
                .body("artifact.sbom", equalTo("s3://byoos-artifacts/sboms/" + SHA + ".cdx.json"))
                .body("build.id", equalTo(build.buildId()))
                .body("build.targetCloud", equalTo("qemu"))
                .body("spec.team", equalTo("team-a"))
                .body("spec.name", equalTo("catalog-spec"))
                .body("spec.version", equalTo(4))
                .body("spec.digest", equalTo(build.specDigest()));
        given().header("Authorization", ALICE_VIEWER).get("/api/v1/packs/" + alicePack + "/versions/9.9.9").then()
                .statusCode(404).contentType("application/problem+json");
    }

    @Test
    void aVersionServesItsClusterProfileLayerWithThePacksOwnValuesToItsTeamOnly() {
        String values = new String(new PackRenderer(TargetSettings.none()).render(aliceArtifact).files()
                .get(PackRenderer.VALUES_YAML), StandardCharsets.UTF_8);
        given().header("Authorization", ALICE_VIEWER)
                .get("/api/v1/packs/" + alicePack + "/versions/1.0.0/cluster-profile-layer").then()
                .statusCode(200)
                .body("pack", equalTo(alicePack))
                .body("version", equalTo("1.0.0"))
                .body("references", equalTo("custom-pack"))
                .body("paletteApiLayer.name", equalTo(alicePack))
                .body("paletteApiLayer.tag", equalTo("1.0.0"))
                .body("paletteApiLayer.type", equalTo("spectro"))
                .body("paletteApiLayer.layer", equalTo("os"))
                .body("paletteApiLayer.values", equalTo(values))
                .body("terraform", containsString("data \"spectrocloud_pack\" \"byoos_os\" {\n  name         = \""
                        + alicePack + "\"\n  version      = \"1.0.0\"\n"));
        given().header("Authorization", ALICE_VIEWER)
                .get("/api/v1/packs/" + alicePack + "/versions/9.9.9/cluster-profile-layer").then().statusCode(404);
        given().header("Authorization", ALICE_VIEWER)
                .get("/api/v1/packs/" + bobPack + "/versions/1.0.0/cluster-profile-layer").then().statusCode(404)
                .contentType("application/problem+json");
    }

    @Test
    void aRedeliveredEventAddsNoVersion() {
        publish(aliceArtifact, 2);
        given().header("Authorization", ALICE_VIEWER).get("/api/v1/packs/" + alicePack + "/versions").then()
                .statusCode(200)
                .body("$", hasSize(1))
                .body("[0].version", equalTo("1.0.0"))
                .body("[0].manifestDigest", equalTo(alicePublished.manifestDigest()))
                .body("[0].buildId", equalTo(aliceArtifact.build().buildId()))
                .body("[0].href", equalTo("/api/v1/packs/" + alicePack + "/versions/1.0.0"));
    }

    @Test
    void anotherTeamsPacksLookAbsent() {
        given().header("Authorization", ALICE_VIEWER).get("/api/v1/packs?size=200").then().statusCode(200)
                .body("items.team", everyItem(equalTo("team-a")))
                .body("items.name", hasItem(alicePack))
                .body("items.name", not(hasItem(bobPack)));
        given().header("Authorization", ALICE_VIEWER).get("/api/v1/packs?team=team-b").then().statusCode(403)
                .contentType("application/problem+json").body("detail", containsString("team-b"));
        given().header("Authorization", ALICE_VIEWER).get("/api/v1/packs/" + bobPack + "/versions").then()
                .statusCode(404).contentType("application/problem+json");
        given().header("Authorization", ALICE_VIEWER).get("/api/v1/packs/" + bobPack + "/versions/1.0.0").then()
                .statusCode(404);

        given().header("Authorization", BOB).get("/api/v1/packs/" + bobPack + "/versions/1.0.0").then().statusCode(200);
        given().header("Authorization", ADMIN).get("/api/v1/packs?size=200").then().statusCode(200)
                .body("items.name", hasItem(alicePack))
                .body("items.name", hasItem(bobPack));
        given().header("Authorization", ADMIN).get("/api/v1/packs?team=team-b&size=200").then().statusCode(200)
                .body("items.name", hasItem(bobPack))
                .body("items.team", everyItem(equalTo("team-b")));
    }

    @Test
    void callersWithoutATokenOrARoleAreRefused() {
        for (String path : List.of("/api/v1/packs", "/api/v1/packs/" + alicePack + "/versions",
                "/api/v1/packs/" + alicePack + "/versions/1.0.0",
                "/api/v1/packs/" + alicePack + "/versions/1.0.0/cluster-profile-layer")) {
            given().get(path).then().statusCode(401).header("WWW-Authenticate", "Bearer")
                    .contentType("application/problem+json");
            given().header("Authorization", NO_ROLE).get(path).then().statusCode(403)
                    .contentType("application/problem+json");
        }
        given().header("Authorization", ALICE_VIEWER).get("/api/v1/packs?size=0").then().statusCode(400)
                .contentType("application/problem+json");
    }

    @Test
    void theCatalogApiIsDescribedInOpenApi() {
        given().get("/q/openapi?format=json").then().statusCode(200)
                .body("paths", org.hamcrest.Matchers.hasKey("/api/v1/packs/{name}/versions/{version}"))
                .body("paths", org.hamcrest.Matchers.hasKey("/api/v1/packs/{name}/versions/{version}/cluster-profile-layer"));
    }

    private PackPublished publish(ArtifactStored artifact, int expectedAnnouncements) {
        String buildId = artifact.build().buildId();
        kafka.sendCloudEvent(Topics.ARTIFACTS_STORED, buildId, EventTypes.ARTIFACT_STORED,
                UUID.randomUUID().toString(), EventJson.write(artifact));
        return EventJson.read(kafka.awaitRecords(Topics.PACKS_PUBLISHED, buildId, expectedAnnouncements, TIMEOUT)
                .get(expectedAnnouncements - 1).value(), PackPublished.class);
    }

    static ArtifactStored artifact(String team, String packName) {
        BuildCoordinates build = new BuildCoordinates(UUID.randomUUID().toString(), team, "catalog-spec", 4,
                "c4".repeat(32), new BuildCoordinates.OperatingSystem("debian", "12"), "1.30.4",
                new BuildCoordinates.Target("qemu", "qcow2"), new BuildCoordinates.Pack(packName, "1.0.0", "Catalog test"));
        return new ArtifactStored(build, "byoos-artifacts", "sha256/" + SHA, "s3://byoos-artifacts/sha256/" + SHA, SHA,
                2048, "qcow2", new ArtifactStored.StoredObject("byoos-artifacts", "sboms/" + SHA + ".cdx.json", SHA, 10),
                null, new ArtifactStored.Signature("cosign-blob", "sha256:" + "12".repeat(32), "MEUCIQ=="), List.of(), null);
    }
}
