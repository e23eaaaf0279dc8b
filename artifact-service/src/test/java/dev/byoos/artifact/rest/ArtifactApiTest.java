package dev.byoos.artifact.rest;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Base64;
import java.util.List;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.minio.PutObjectArgs;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.sqlclient.Pool;

import dev.byoos.artifact.SigningKeysResource;
import dev.byoos.artifact.StagedBuilds;
import dev.byoos.artifact.StagedBuilds.Extras;
import dev.byoos.contract.ArtifactStored;
import dev.byoos.contract.BuildCompleted;
import dev.byoos.localauth.LocalTokens;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.TestTokens;

/**
 * The artifact API on the real service, database and S3: team scoping and roles, search, metadata,
 * presigned downloads, SBOM and log, and signatures checked online and offline with openssl.
 */
@QuarkusTest
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "database", value = "artifact_service"))
@QuarkusTestResource(SigningKeysResource.class)
class ArtifactApiTest {

    @Inject
    Pool databasePool;

    static final String ALICE = TestTokens.bearer("alice", "viewer", "team-a");
    static final String BOB = TestTokens.bearer("bob", "submitter", "team-b");
    static final String ADMIN = TestTokens.bearer("root", "admin");
    static final String ARTIFACTS = "/api/v1/artifacts";

    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @TempDir
    Path work;

    StagedBuilds builds;
    String spec;

    @BeforeEach
    void connect() {
        builds = new StagedBuilds();
        spec = "api-" + java.util.UUID.randomUUID().toString().substring(0, 8);
    }

    @AfterEach
    void disconnect() {
        builds.close();
    }

    @Test
    void theDatabasePoolBoundsItsOwnWaitForAConnectionAtVertxsThirtySeconds() {
        // DatabasePool: the pool's own timer can lease a connection to nobody (PoolAcquireTimeout).
        assertTrue(databasePool.toString().startsWith("acquire-timeout(30000 ms) "), databasePool::toString);
    }

    @Test
    void searchesByTeamSpecBuildAndFormatWithPagingWithinTheCallersTeams() throws Exception {
        ArtifactStored first = builds.store(builds.stage("team-a", spec, "qcow2", StagedBuilds.uniqueContent("1"), Extras.NONE));
        builds.store(builds.stage("team-a", spec, "qcow2", StagedBuilds.uniqueContent("2"), Extras.NONE));
        ArtifactStored raw = builds.store(builds.stage("team-a", spec, "raw", StagedBuilds.uniqueContent("3"), Extras.NONE));
        builds.store(builds.stage("team-b", spec, "qcow2", StagedBuilds.uniqueContent("4"), Extras.NONE));

        given().header("Authorization", ALICE).queryParam("spec", spec).get(ARTIFACTS).then().statusCode(200)
                .body("total", equalTo(3))
                .body("items.team", everyItem(equalTo("team-a")))
                // newest first
                .body("items[0].sha256", equalTo(raw.sha256()));
        given().header("Authorization", ALICE).queryParam("spec", spec).queryParam("format", "raw").get(ARTIFACTS).then()
                .body("total", equalTo(1)).body("items[0].buildId", equalTo(raw.build().buildId()));
        given().header("Authorization", ALICE).queryParam("build", first.build().buildId()).get(ARTIFACTS).then()
                .body("total", equalTo(1)).body("items[0].sha256", equalTo(first.sha256()));
        given().header("Authorization", ALICE).queryParam("spec", spec).queryParam("size", 2).queryParam("page", 1)
                .get(ARTIFACTS).then().body("items.size()", equalTo(1)).body("total", equalTo(3))
                .body("items[0].sha256", equalTo(first.sha256()));
        given().header("Authorization", ADMIN).queryParam("spec", spec).get(ARTIFACTS).then().body("total", equalTo(4));

        given().header("Authorization", ALICE).queryParam("team", "team-b").get(ARTIFACTS).then().statusCode(403)
                .contentType("application/problem+json");
        given().header("Authorization", ALICE).queryParam("size", 500).get(ARTIFACTS).then().statusCode(400)
                .contentType("application/problem+json");
        given().header("Authorization", ALICE).queryParam("build", "not-a-uuid").get(ARTIFACTS).then().statusCode(400);
    }

    @Test
    void metadataByDigestCarriesProvenanceSbomLogAndSignatureAndAnotherTeamsLooksAbsent() throws Exception {
        byte[] sbom = "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.5\"}".getBytes(StandardCharsets.UTF_8);
        byte[] log = "step 1\nstep 2\n".getBytes(StandardCharsets.UTF_8);
        var provenance = new BuildCompleted.Provenance("0.1.0", "2026-11-25T10:00:00Z", "2026-11-25T10:05:00Z",
                List.of(new BuildCompleted.Input("base:debootstrap/bookworm", "ab".repeat(32), "http://deb.mirror.example/debian")));
        ArtifactStored stored = builds.store(builds.stage("team-a", spec, "qcow2", StagedBuilds.uniqueContent("meta"),
                new Extras(sbom, log, provenance, List.of(new BuildCompleted.CloudImage("aws", "eu-west-1", "ami-0123")),
                        new BuildCompleted.OciImage("registry.example/byoos/edge/p:1", "sha256:" + "ef".repeat(32)))));

        given().header("Authorization", ALICE).get(ARTIFACTS + "/" + stored.sha256()).then().statusCode(200)
                .body("sha256", equalTo(stored.sha256()))
                .body("builds[0].buildId", equalTo(stored.build().buildId()))
                .body("builds[0].spec.name", equalTo(spec))
                .body("builds[0].target.format", equalTo("qcow2"))
                .body("builds[0].sbom.sha256", equalTo(StagedBuilds.sha256(sbom)))
                .body("builds[0].log.size", equalTo(log.length))
                .body("builds[0].provenance.builderVersion", equalTo("0.1.0"))
                .body("builds[0].provenance.inputs[0].sha256", equalTo("ab".repeat(32)))
                .body("builds[0].cloudImages[0].id", equalTo("ami-0123"))
                .body("builds[0].ociImage.reference", equalTo("registry.example/byoos/edge/p:1"))
                .body("builds[0].signature.format", equalTo("cosign-blob"))
                .body("builds[0].signature.value", equalTo(stored.signature().value()));

        given().header("Authorization", BOB).get(ARTIFACTS + "/" + stored.sha256()).then().statusCode(404)
                .contentType("application/problem+json");
        given().header("Authorization", BOB).post(ARTIFACTS + "/" + stored.sha256() + "/verification").then().statusCode(404);
        given().header("Authorization", BOB).get(ARTIFACTS + "/" + stored.sha256() + "/download").then().statusCode(404);
        given().header("Authorization", ADMIN).get(ARTIFACTS + "/" + stored.sha256()).then().statusCode(200);
        given().header("Authorization", ALICE).get(ARTIFACTS + "/" + "0".repeat(64)).then().statusCode(404);

        // The SBOM and the log: a redirect to a presigned URL that serves exactly what the build staged.
        String sbomUrl = given().header("Authorization", ALICE).redirects().follow(false)
                .get(ARTIFACTS + "/" + stored.sha256() + "/sbom").then().statusCode(303).extract().header("Location");
        assertEquals(new String(sbom, StandardCharsets.UTF_8), fetch(sbomUrl).body());
        String logUrl = given().header("Authorization", ALICE).redirects().follow(false)
                .queryParam("build", stored.build().buildId())
                .get(ARTIFACTS + "/" + stored.sha256() + "/log").then().statusCode(303).extract().header("Location");
        assertEquals(new String(log, StandardCharsets.UTF_8), fetch(logUrl).body());
    }

    @Test
    void tokensThatAreMissingForgedExpiredForAnotherAudienceOrTooOldAreRefused() throws Exception {
        given().get(ARTIFACTS).then().statusCode(401).header("WWW-Authenticate", "Bearer")
                .contentType("application/problem+json");
        String forged = LocalTokens.in(work).mint("mallory", List.of("team-a"), List.of("admin"), Duration.ofHours(1));
        given().header("Authorization", "Bearer " + forged).get(ARTIFACTS).then().statusCode(401);
        String expired = TestTokens.issuer().mint("alice", List.of("team-a"), List.of("viewer"), Duration.ofMinutes(-10));
        given().header("Authorization", "Bearer " + expired).get(ARTIFACTS).then().statusCode(401);
        given().header("Authorization", TestTokens.bearer("eve", "auditor", "team-a")).get(ARTIFACTS).then()
                .statusCode(403).contentType("application/problem+json");
        // Meant for another system, or issued longer ago than byoos.auth.max-token-age (12 hours) allows.
        String otherAudience = TestTokens.issuer().mint("alice", List.of("team-a"), List.of("viewer"),
                "another-installation", Instant.now(), Duration.ofHours(1));
        given().header("Authorization", "Bearer " + otherAudience).get(ARTIFACTS).then().statusCode(401);
        String old = TestTokens.issuer().mint("alice", List.of("team-a"), List.of("viewer"), LocalTokens.AUDIENCE,
                Instant.now().minus(Duration.ofHours(13)), Duration.ofHours(24));
        given().header("Authorization", "Bearer " + old).get(ARTIFACTS).then().statusCode(401);
        // The public key is public: offline verifiers need no token.
        given().get(ARTIFACTS + "/signing-key").then().statusCode(200).body(containsString("BEGIN PUBLIC KEY"));
    }

    @Test
    void aPresignedUrlDownloadsTheImageUntilItsBoundedExpiry() throws Exception {
        byte[] image = StagedBuilds.uniqueContent("download");
        ArtifactStored stored = builds.store(builds.stage("team-a", spec, "qcow2", image, Extras.NONE));
        OffsetDateTime before = OffsetDateTime.now();

        var download = given().header("Authorization", ALICE).queryParam("expiry", "PT5M")
                .get(ARTIFACTS + "/" + stored.sha256() + "/download").then().statusCode(200)
                .body("size", equalTo(image.length)).extract().jsonPath();
        OffsetDateTime expiresAt = OffsetDateTime.parse(download.getString("expiresAt"));
        assertTrue(!expiresAt.isBefore(before.plusMinutes(5)) && expiresAt.isBefore(before.plusMinutes(6)), expiresAt::toString);
        HttpResponse<byte[]> fetched = http.send(HttpRequest.newBuilder(URI.create(download.getString("url"))).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, fetched.statusCode());
        assertEquals(stored.sha256(), StagedBuilds.sha256(fetched.body()));

        given().header("Authorization", ALICE).queryParam("expiry", "PT2H").get(ARTIFACTS + "/" + stored.sha256() + "/download")
                .then().statusCode(400).contentType("application/problem+json").body("detail", containsString("PT1H"));
        given().header("Authorization", ALICE).queryParam("expiry", "soon").get(ARTIFACTS + "/" + stored.sha256() + "/download")
                .then().statusCode(400);
    }

    @Test
    void signaturesVerifyOnlineAndWithOpensslAndATamperedArtifactFailsBoth() throws Exception {
        byte[] image = StagedBuilds.uniqueContent("signed");
        ArtifactStored stored = builds.store(builds.stage("team-a", spec, "qcow2", image, Extras.NONE));

        given().header("Authorization", ALICE).post(ARTIFACTS + "/" + stored.sha256() + "/verification").then()
                .statusCode(200).body("verified", equalTo(true)).body("recomputedSha256", equalTo(stored.sha256()));

        // The documented offline check (docs/architecture.md, "Signatures"), with the real openssl.
        Path publicKey = Files.writeString(work.resolve("artifact-signing.pub"),
                given().get(ARTIFACTS + "/signing-key").then().statusCode(200).extract().asString());
        Path signature = Files.write(work.resolve("artifact.sig.der"),
                Base64.getDecoder().decode(stored.signature().value()));
        Path downloaded = download(stored.sha256(), work.resolve("artifact"));
        Openssl genuine = opensslVerify(publicKey, signature, downloaded);
        assertEquals(0, genuine.exitCode(), genuine.output());
        assertTrue(genuine.output().contains("Verified OK"), genuine.output());

        // Someone with write access to the bucket replaces the object behind the service's back.
        byte[] tampered = image.clone();
        tampered[0] ^= 1;
        builds.s3.putObject(PutObjectArgs.builder().bucket(stored.bucket()).object(stored.key())
                .stream(new ByteArrayInputStream(tampered), tampered.length, -1).build());

        given().header("Authorization", ALICE).post(ARTIFACTS + "/" + stored.sha256() + "/verification").then()
                .statusCode(200).body("verified", equalTo(false)).body("signatureValid", equalTo(false))
                .body("recomputedSha256", equalTo(StagedBuilds.sha256(tampered)));
        Openssl refused = opensslVerify(publicKey, signature, download(stored.sha256(), work.resolve("tampered")));
        assertFalse(refused.exitCode() == 0, refused.output());
        assertTrue(refused.output().contains("Verification failure"), refused.output());
    }

    private Path download(String sha256, Path target) throws Exception {
        String url = given().header("Authorization", ALICE).get(ARTIFACTS + "/" + sha256 + "/download").then()
                .statusCode(200).extract().path("url");
        HttpResponse<Path> response = http.send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofFile(target));
        assertEquals(200, response.statusCode());
        return target;
    }

    private record Openssl(int exitCode, String output) {
    }

    private static Openssl opensslVerify(Path publicKey, Path signature, Path file) throws Exception {
        Process process = new ProcessBuilder("openssl", "dgst", "-sha256", "-verify", publicKey.toString(),
                "-signature", signature.toString(), file.toString()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Openssl(process.waitFor(), output);
    }

    private HttpResponse<String> fetch(String url) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response::body);
        return response;
    }
}
