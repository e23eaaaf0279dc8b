package dev.byoos.spec.rest;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;
import io.smallrye.jwt.auth.principal.JWTParser;

import dev.byoos.localauth.LocalTokens;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.TestTokens;

/**
 * Who may do what, on the real service and database: team A cannot read, cancel or retry team
 * B's builds (they look absent), viewers cannot write, tokens that are missing, forged or expired
 * are refused, and webhooks are authenticated by their HMAC signature.
 */
@QuarkusTest
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "database", value = "spec_service"))
class AuthMatrixTest {

    static final String ALICE = TestTokens.bearer("alice", "submitter", "team-a");
    static final String BOB = TestTokens.bearer("bob", "submitter", "team-b");
    static final String CAROL_VIEWER = TestTokens.bearer("carol", "viewer", "team-a");
    static final String ADMIN = TestTokens.bearer("root", "admin");

    @Inject
    DataSource database;

    @Inject
    JWTParser tokens;

    @TempDir
    Path otherKeys;

    String specName;
    String aliceBuild;
    String bobBuild;

    @BeforeEach
    void eachTeamSubmitsASpec() throws Exception {
        specName = "auth-" + UUID.randomUUID().toString().substring(0, 8);
        aliceBuild = submit(ALICE, spec(specName, "team-a")).statusCode(201).extract().path("builds[0].id");
        bobBuild = submit(BOB, spec(specName, "team-b")).statusCode(201).extract().path("builds[0].id");
    }

    @Test
    void anotherTeamsBuildsAndSpecsLookAbsent() {
        given().header("Authorization", BOB).get("/api/v1/builds/" + aliceBuild).then().statusCode(404);
        given().header("Authorization", BOB).post("/api/v1/builds/" + aliceBuild + "/cancel").then().statusCode(404);
        given().header("Authorization", BOB).post("/api/v1/builds/" + aliceBuild + "/retry").then().statusCode(404);
        given().header("Authorization", BOB).get("/api/v1/specs/" + specName + "/versions/1?team=team-a").then()
                .statusCode(404);
        given().header("Authorization", BOB).get("/api/v1/builds?team=team-a").then().statusCode(403)
                .contentType("application/problem+json");

        given().header("Authorization", BOB).get("/api/v1/builds?size=200").then().statusCode(200)
                .body("items.team", everyItem(equalTo("team-b")))
                .body("items.id", hasItem(bobBuild));
        given().header("Authorization", BOB).get("/api/v1/specs?size=200").then().statusCode(200)
                .body("items.team", everyItem(equalTo("team-b")));
        // Without ?team the only spec of that name Bob can see is his own.
        given().header("Authorization", BOB).get("/api/v1/specs/" + specName + "/versions/1").then().statusCode(200)
                .body("team", equalTo("team-b"));

        given().header("Authorization", ALICE).get("/api/v1/builds/" + aliceBuild).then().statusCode(200);
        given().header("Authorization", ADMIN).get("/api/v1/builds/" + aliceBuild).then().statusCode(200);
        given().header("Authorization", ADMIN).get("/api/v1/builds/" + bobBuild).then().statusCode(200);
    }

    @Test
    void aSubmitterCannotSubmitForAnotherTeamAndNothingIsWritten() throws Exception {
        long specs = count("image_spec");
        submit(BOB, spec("intruder-" + UUID.randomUUID().toString().substring(0, 8), "team-a")).statusCode(403)
                .contentType("application/problem+json")
                .body("detail", org.hamcrest.Matchers.containsString("not a member of team 'team-a'"));
        assertEquals(specs, count("image_spec"));
    }

    @Test
    void aViewerReadsButCannotWrite() throws Exception {
        given().header("Authorization", CAROL_VIEWER).get("/api/v1/builds/" + aliceBuild).then().statusCode(200);
        given().header("Authorization", CAROL_VIEWER).post("/api/v1/builds/" + aliceBuild + "/cancel").then()
                .statusCode(403).contentType("application/problem+json");
        submit(CAROL_VIEWER, spec("viewer-" + UUID.randomUUID().toString().substring(0, 8), "team-a")).statusCode(403);
        given().header("Authorization", CAROL_VIEWER).get("/api/v1/builds/" + aliceBuild).then()
                .body("state", not(equalTo("CANCELLED")));

        given().header("Authorization", ALICE).post("/api/v1/builds/" + aliceBuild + "/cancel").then().statusCode(200)
                .body("state", equalTo("CANCELLED"));
        given().header("Authorization", ALICE).get("/api/v1/builds/" + aliceBuild).then().body("cancelledBy", equalTo("alice"));
    }

    @Test
    void missingForgedAndExpiredTokensAreRefused() throws Exception {
        given().get("/api/v1/builds/" + aliceBuild).then().statusCode(401)
                .header("WWW-Authenticate", "Bearer").contentType("application/problem+json");
        String forged = LocalTokens.in(otherKeys).mint("mallory", List.of("team-a"), List.of("admin"), Duration.ofHours(1));
        given().header("Authorization", "Bearer " + forged).get("/api/v1/builds/" + aliceBuild).then().statusCode(401);
        String expired = TestTokens.issuer().mint("alice", List.of("team-a"), List.of("submitter"), Duration.ofMinutes(-10));
        given().header("Authorization", "Bearer " + expired).get("/api/v1/builds/" + aliceBuild).then().statusCode(401);
        // The schema is public documentation.
        given().get("/api/v1/schema").then().statusCode(200);
    }

    @Test
    void aVerifiedTokenIsCachedButAnEditedCopyOfItIsRefused() throws Exception {
        String raw = ALICE.substring("Bearer ".length());
        // The same token answers from the verified-token cache: one verification, one principal.
        assertSame(tokens.parse(raw), tokens.parse(raw));
        given().header("Authorization", ALICE).get("/api/v1/builds/" + aliceBuild).then().statusCode(200);

        String[] parts = raw.split("\\.");
        String claims = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
        String asAdmin = claims.replace("\"groups\":[\"submitter\"]", "\"groups\":[\"admin\"]");
        String edited = parts[0] + "." + Base64.getUrlEncoder().withoutPadding()
                .encodeToString(asAdmin.getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
        given().header("Authorization", "Bearer " + edited).get("/api/v1/builds/" + bobBuild).then().statusCode(401);
    }

    @Test
    void tokensForAnotherAudienceOrOlderThanTheMaximumAgeAreRefused() {
        String otherAudience = TestTokens.issuer().mint("alice", List.of("team-a"), List.of("submitter"),
                "another-installation", Instant.now(), Duration.ofHours(1));
        given().header("Authorization", "Bearer " + otherAudience).get("/api/v1/builds/" + aliceBuild).then()
                .statusCode(401);
        // Not expired, but issued longer ago than byoos.auth.max-token-age (12 hours) allows.
        String old = TestTokens.issuer().mint("alice", List.of("team-a"), List.of("submitter"), LocalTokens.AUDIENCE,
                Instant.now().minus(Duration.ofHours(13)), Duration.ofHours(24));
        given().header("Authorization", "Bearer " + old).get("/api/v1/builds/" + aliceBuild).then().statusCode(401);
        String fresh = TestTokens.issuer().mint("alice", List.of("team-a"), List.of("submitter"), LocalTokens.AUDIENCE,
                Instant.now().minus(Duration.ofHours(1)), Duration.ofHours(24));
        given().header("Authorization", "Bearer " + fresh).get("/api/v1/builds/" + aliceBuild).then().statusCode(200);
    }

    @Test
    void aSignedWebhookRebuildsANamedSpecOnceAndReplaysOrAlterationsChangeNothing() throws Exception {
        String name = "hook-" + UUID.randomUUID().toString().substring(0, 8);
        String first = submit(TestTokens.bearer("ci", "submitter", "hooks"), spec(name, "hooks")).statusCode(201)
                .extract().path("builds[0].id");
        given().header("Authorization", ADMIN).post("/api/v1/builds/" + first + "/cancel").then().statusCode(200);
        byte[] body = "{\"ref\":\"refs/heads/main\"}".getBytes(StandardCharsets.UTF_8);
        String query = "team=hooks&spec=" + name;
        String now = String.valueOf(Instant.now().getEpochSecond());
        long builds = count("build");

        hook("ci", query, now, "d1", body, "v1=" + "00".repeat(32)).statusCode(401).contentType("application/problem+json");
        hook("ci", query, now, "d1", body, null).statusCode(401);
        hook("nope", query, now, "d1", body, sign("nope", query, now, "d1", body)).statusCode(401);
        hook("ci", "team=team-b&spec=" + name, now, "d1", body, sign("ci", "team=team-b&spec=" + name, now, "d1", body))
                .statusCode(403);
        // A signed delivery with its query altered (force added): the signature no longer matches.
        hook("ci", query + "&force=true", now, "d1", body, sign("ci", query, now, "d1", body)).statusCode(401);
        // A delivery signed six minutes ago: outside the five-minute window.
        String stale = String.valueOf(Instant.now().minus(Duration.ofMinutes(6)).getEpochSecond());
        hook("ci", query, stale, "d-stale", body, sign("ci", query, stale, "d-stale", body)).statusCode(401)
                .body("detail", org.hamcrest.Matchers.containsString("X-Byoos-Timestamp"));
        assertEquals(builds, count("build"));

        String delivery = "delivery-" + UUID.randomUUID();
        hook("ci", query, now, delivery, body, sign("ci", query, now, delivery, body)).statusCode(202)
                .body("builds[0].attempt", equalTo(2)).body("builds[0].trigger", equalTo("webhook"));
        // The same delivery played again, byte for byte: refused, no further build.
        hook("ci", query, now, delivery, body, sign("ci", query, now, delivery, body)).statusCode(409)
                .contentType("application/problem+json");
        assertEquals(builds + 1, count("build"));
    }

    @Test
    void aGithubSourceRebuildsOnlyItsConfiguredSpecAndEachSignedBodyOnce() throws Exception {
        submit(TestTokens.bearer("ci", "submitter", "hooks"), spec("github-pinned", "hooks"));
        byte[] body = ("{\"after\":\"" + UUID.randomUUID() + "\"}").getBytes(StandardCharsets.UTF_8);
        String signature = "sha256=" + HexFormat.of().formatHex(HookResource.hmacSha256("test-github-secret", body));

        github("?team=team-a&spec=other&force=true", body, signature).statusCode(400);
        github("", body, "sha256=" + "00".repeat(32)).statusCode(401);
        github("", body, signature).statusCode(202).body("team", equalTo("hooks"))
                .body("name", equalTo("github-pinned"));
        // X-GitHub-Delivery is not signed: the same body under a new delivery id is still a replay.
        github("", body, signature).statusCode(409);
        given().header("X-GitHub-Event", "ping").header("X-Hub-Signature-256", signature).body(body)
                .post("/api/v1/hooks/gh").then().statusCode(200).body("message", equalTo("signature verified"));
    }

    private static ValidatableResponse github(String query, byte[] body, String signature) {
        return given().contentType("application/json").header("X-GitHub-Delivery", UUID.randomUUID().toString())
                .header("X-GitHub-Event", "push").header("X-Hub-Signature-256", signature).body(body)
                .post("/api/v1/hooks/gh" + query).then();
    }

    private static ValidatableResponse hook(String source, String query, String timestamp, String delivery, byte[] body,
            String signature) {
        var request = given().contentType("application/json").urlEncodingEnabled(false)
                .header("X-Byoos-Timestamp", timestamp).header("X-Byoos-Delivery", delivery).body(body);
        if (signature != null) {
            request.header("X-Byoos-Signature", signature);
        }
        return request.post("/api/v1/hooks/" + source + "?" + query).then();
    }

    private static String sign(String source, String query, String timestamp, String delivery, byte[] body) {
        return "v1=" + HexFormat.of().formatHex(HookResource.hmacSha256("test-webhook-secret",
                HookResource.signedRequest("/api/v1/hooks/" + source, query, timestamp, delivery, body)));
    }

    private static ValidatableResponse submit(String authorization, String yaml) {
        return given().header("Authorization", authorization).contentType("application/yaml")
                .body(yaml.getBytes(StandardCharsets.UTF_8)).post("/api/v1/specs").then();
    }

    private static String spec(String name, String team) throws Exception {
        return Files.readString(Path.of("..", "examples", "debian-12-qemu.yaml"))
                .replace("name: debian-12-node", "name: " + name).replace("team: platform", "team: " + team)
                .replace("name: byoos-debian-12\n", "name: pack-" + team + "\n");
    }

    private long count(String table) throws Exception {
        try (Connection connection = database.getConnection();
                ResultSet rows = connection.createStatement().executeQuery("select count(*) from " + table)) {
            rows.next();
            return rows.getLong(1);
        }
    }
}
