package dev.byoos.spec.notify;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;

import dev.byoos.contract.EventTypes;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.TestTokens;

/**
 * Notification subscriptions and their signed deliveries on real PostgreSQL and Kafka, to a receiver
 * on loopback (allow-listed for tests in application.properties).
 */
@QuarkusTest
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "database", value = "spec_service"))
class NotificationsTest {

    static final String SUBSCRIPTIONS = "/api/v1/subscriptions";
    static final String TEAM_A_SUBMITTER = TestTokens.bearer("notify-a", "submitter", "notify-a");
    static final String TEAM_A_VIEWER = TestTokens.bearer("notify-a-viewer", "viewer", "notify-a");
    static final String TEAM_B_SUBMITTER = TestTokens.bearer("notify-b", "submitter", "notify-b");

    @Test
    void aSubscriptionToAnInternalAddressOrOverPlainHttpIsRefused() {
        for (String url : List.of("https://10.1.2.3/hook", "https://169.254.169.254/latest", "https://[::1]/hook",
                "https://localhost/hook", "https://192.168.0.10/", "http://203.0.113.7/hook")) {
            subscribe(TEAM_A_SUBMITTER, "notify-a", url, List.of(EventTypes.BUILD_FAILED)).statusCode(400)
                    .contentType("application/problem+json").body("detail", startsWith("url: "));
        }
        subscribe(TEAM_A_SUBMITTER, "notify-a", "http://127.0.0.1:1/hook", List.of("dev.byoos.build.started.v1"))
                .statusCode(400).contentType("application/problem+json");
        given().header("Authorization", TEAM_A_SUBMITTER).get(SUBSCRIPTIONS).then().statusCode(200)
                .body("url", not(hasItem("https://10.1.2.3/hook")));
    }

    @Test
    void aSubscriptionIsSeenAndDeletedOnlyWithinItsTeamAndItsSecretIsShownOnce() {
        String id = subscribe(TEAM_A_SUBMITTER, "notify-a", "http://127.0.0.1:1/hook",
                List.of(EventTypes.BUILD_FAILED, NotificationTypes.PACK_REVOKED)).statusCode(201)
                .body("secret", notNullValue()).body("team", equalTo("notify-a")).extract().path("id");
        String listed = "find { it.id == '" + id + "' }";

        given().header("Authorization", TEAM_A_VIEWER).get(SUBSCRIPTIONS).then().statusCode(200)
                .body(listed + ".eventTypes", equalTo(List.of(EventTypes.BUILD_FAILED, NotificationTypes.PACK_REVOKED)))
                .body(listed + ".secret", nullValue());
        given().header("Authorization", TEAM_B_SUBMITTER).get(SUBSCRIPTIONS).then().statusCode(200)
                .body("id", not(hasItem(id)));
        given().header("Authorization", TEAM_B_SUBMITTER).get(SUBSCRIPTIONS + "?team=notify-a").then()
                .statusCode(200).body("id", not(hasItem(id)));
        given().header("Authorization", TEAM_B_SUBMITTER).delete(SUBSCRIPTIONS + "/" + id).then().statusCode(404)
                .contentType("application/problem+json");
        subscribe(TEAM_B_SUBMITTER, "notify-a", "http://127.0.0.1:1/hook", List.of(EventTypes.BUILD_FAILED))
                .statusCode(403);
        subscribe(TEAM_A_VIEWER, "notify-a", "http://127.0.0.1:1/hook", List.of(EventTypes.BUILD_FAILED))
                .statusCode(403);
        given().header("Authorization", TEAM_A_VIEWER).delete(SUBSCRIPTIONS + "/" + id).then().statusCode(403);

        given().header("Authorization", TEAM_A_SUBMITTER).delete(SUBSCRIPTIONS + "/" + id).then().statusCode(204);
        given().header("Authorization", TEAM_A_SUBMITTER).get(SUBSCRIPTIONS).then().body("id", not(hasItem(id)));
    }

    static ValidatableResponse subscribe(String token, String team, String url, List<String> types) {
        return given().header("Authorization", token).contentType("application/json")
                .body(Map.of("team", team, "url", url, "eventTypes", types)).post(SUBSCRIPTIONS).then();
    }
}
