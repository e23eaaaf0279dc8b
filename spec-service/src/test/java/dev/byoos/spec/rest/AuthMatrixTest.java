package dev.byoos.spec.rest;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
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
    void aSignedWebhookRebuildsANamedSpecAndAnUnsignedOneChangesNothing() throws Exception {
        String name = "hook-" + UUID.randomUUID().toString().substring(0, 8);
        String first = submit(TestTokens.bearer("ci", "submitter", "hooks"), spec(name, "hooks")).statusCode(201)
                .extract().path("builds[0].id");
        given().header("Authorization", ADMIN).post("/api/v1/builds/" + first + "/cancel").then().statusCode(200);
        byte[] body = "{\"ref\":\"refs/heads/main\"}".getBytes(StandardCharsets.UTF_8);
        long builds = count("build");

        hook("ci", "hooks", name, body, "sha256=" + "00".repeat(32), "d1").statusCode(401)
                .contentType("application/problem+json");
        hook("ci", "hooks", name, body, null, "d1").statusCode(401);
        hook("nope", "hooks", name, body, sign("test-webhook-secret", body), "d1").statusCode(401);
        hook("ci", "team-b", name, body, sign("test-webhook-secret", body), "d1").statusCode(403);
        assertEquals(builds, count("build"));

        String rebuilt = hook("ci", "hooks", name, body, sign("test-webhook-secret", body), "delivery-1").statusCode(202)
                .body("builds[0].attempt", equalTo(2))
                .extract().path("builds[0].id");
        // GitHub redelivers with the same delivery id: the same outcome, no further build.
        hook("ci", "hooks", name, body, sign("test-webhook-secret", body), "delivery-1").statusCode(202)
                .body("builds[0].id", equalTo(rebuilt));
        assertEquals(builds + 1, count("build"));

        given().header("X-GitHub-Event", "ping").header("X-Hub-Signature-256", sign("test-webhook-secret", body))
                .body(body).post("/api/v1/hooks/ci").then().statusCode(200).body("message", equalTo("signature verified"));
    }

    private static ValidatableResponse hook(String source, String team, String spec, byte[] body, String signature,
            String delivery) {
        var request = given().contentType("application/json").queryParam("team", team).queryParam("spec", spec)
                .header("X-GitHub-Delivery", delivery).header("X-GitHub-Event", "push").body(body);
        if (signature != null) {
            request.header("X-Hub-Signature-256", signature);
        }
        return request.post("/api/v1/hooks/" + source).then();
    }

    private static String sign(String secret, byte[] body) {
        return "sha256=" + HexFormat.of().formatHex(HookResource.hmacSha256(secret, body));
    }

    private static ValidatableResponse submit(String authorization, String yaml) {
        return given().header("Authorization", authorization).contentType("application/yaml")
                .body(yaml.getBytes(StandardCharsets.UTF_8)).post("/api/v1/specs").then();
    }

    private static String spec(String name, String team) throws Exception {
        return Files.readString(Path.of("..", "examples", "debian-12-qemu.yaml"))
                .replace("name: debian-12-node", "name: " + name).replace("team: platform", "team: " + team);
    }

    private long count(String table) throws Exception {
        try (Connection connection = database.getConnection();
                ResultSet rows = connection.createStatement().executeQuery("select count(*) from " + table)) {
            rows.next();
            return rows.getLong(1);
        }
    }
}
