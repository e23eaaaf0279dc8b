package dev.byoos.spec.rest;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.ValidatableResponse;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;

import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.TestStack;
import dev.byoos.testsupport.TestTokens;

/** Overload on the real database: a request that cannot get a connection is told to come back, not failed. */
@QuarkusTest
@TestProfile(DatabaseOverloadTest.OneConnection.class)
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "database", value = "spec_service"))
class DatabaseOverloadTest {

    static final Duration TIMEOUT = Duration.ofSeconds(30);
    static final String ADMIN = TestTokens.bearer("overload-test", "admin");

    /** A pool of one connection, so the test can take all of it, and a short wait for it. */
    public static class OneConnection implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.datasource.reactive.max-size", "1",
                    "byoos.spec.database.acquire-timeout", "500ms",
                    "byoos.spec.database.retry-after", "3s");
        }
    }

    @Inject
    Pool pool;

    private ValidatableResponse submit(String name) throws Exception {
        return given().header("Authorization", ADMIN).contentType("application/yaml")
                .body(SpecPipelineTest.exampleSpec(name).getBytes(StandardCharsets.UTF_8))
                .when().post("/api/v1/specs").then();
    }

    @Test
    void aSubmissionFindingEveryConnectionTakenIsAnswered503WithRetryAfter() throws Exception {
        String name = "overload-" + UUID.randomUUID().toString().substring(0, 8);
        // The relay and the consumers want the one connection too: try again until it is ours.
        SqlConnection held = pool.getConnection().onFailure().retry().atMost(100).await().atMost(TIMEOUT);
        try {
            submit(name).statusCode(503)
                    .contentType("application/problem+json")
                    .header("Retry-After", "3")
                    .body("type", equalTo("https://byoos.dev/problems/database-busy"));
        } finally {
            held.closeAndAwait();
        }
        // Released, the connection is contended by the relay and the consumers too: a client that
        // retries as told gets in.
        await("a submission after the overload").atMost(TIMEOUT)
                .until(() -> submit(name).extract().statusCode(), status -> status != 503);
        given().header("Authorization", ADMIN).get("/api/v1/specs/" + name + "/versions/1?team=platform").then()
                .statusCode(200);
    }

    @Test
    void aSubmissionWhileTheDatabaseIsDownIsAnswered503WithRetryAfterAndStoresNothing() throws Exception {
        String name = "outage-" + UUID.randomUUID().toString().substring(0, 8);
        try (AutoCloseable outage = TestStack.outage(TestStack.Server.POSTGRES)) {
            submit(name).statusCode(503)
                    .contentType("application/problem+json")
                    .header("Retry-After", "3")
                    .body("type", equalTo("https://byoos.dev/problems/database-unavailable"));
        }
        // Back on the same port: the pool reconnects, and the spec the outage refused was not kept.
        await("the spec-service answering after the outage").atMost(Duration.ofMinutes(2))
                .until(() -> given().header("Authorization", ADMIN)
                        .get("/api/v1/specs/" + name + "/versions/1?team=platform").then().extract().statusCode(),
                        status -> status == 404);
        await("a submission after the outage").atMost(Duration.ofMinutes(2))
                .until(() -> submit(name).extract().statusCode(), status -> status == 201);
    }
}
