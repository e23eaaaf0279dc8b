package dev.byoos.spec.notify;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.byoos.contract.BuildFailed;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.PackRetired;
import dev.byoos.contract.Topics;
import dev.byoos.spec.RequestedCoordinates;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.KafkaTestClient;
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
    /** Generous: the first event on a topic waits for its consumer's partition assignment. */
    static final Duration TIMEOUT = Duration.ofSeconds(60);
    static final ObjectMapper JSON = new ObjectMapper();

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;
    @ConfigProperty(name = "byoos.spec.notifications.secret-key")
    String secretKey;
    @ConfigProperty(name = "byoos.spec.notifications.previous-secret-keys")
    String previousSecretKey;
    @Inject
    Pool pool;
    @Inject
    Subscriptions subscriptions;

    KafkaTestClient kafka;
    HttpServer receiver;
    /** Every request the receiver got, in order. */
    final List<Received> received = new CopyOnWriteArrayList<>();
    /** Requests per CloudEvent id on /flaky, which answers 500 to the first two of each. */
    final Map<String, Integer> flakyCalls = new ConcurrentHashMap<>();
    String team;
    String submitter;

    record Received(String path, int answered, String timestamp, String delivery, String signature,
            String contentType, String body, JsonNode event) {
    }

    @BeforeEach
    void start() throws IOException {
        kafka = new KafkaTestClient(bootstrapServers);
        team = "notify-" + UUID.randomUUID().toString().substring(0, 8);
        submitter = TestTokens.bearer("notify-submitter", "submitter", team);
        receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        receiver.createContext("/", this::receive);
        receiver.start();
    }

    @AfterEach
    void stop() {
        receiver.stop(0);
        kafka.close();
    }

    private void receive(HttpExchange exchange) throws IOException {
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        JsonNode event = JSON.readTree(body);
        String path = exchange.getRequestURI().getPath();
        int answer = switch (path) {
            case "/flaky" -> flakyCalls.merge(event.path("id").asText(), 1, Integer::sum) <= 2 ? 500 : 200;
            case "/down" -> 503;
            default -> 204;
        };
        var headers = exchange.getRequestHeaders();
        received.add(new Received(path, answer, headers.getFirst("X-Byoos-Timestamp"),
                headers.getFirst("X-Byoos-Delivery"), headers.getFirst("X-Byoos-Signature"),
                headers.getFirst("Content-Type"), body, event));
        exchange.sendResponseHeaders(answer, -1);
        exchange.close();
    }

    @Test
    @SuppressWarnings("unchecked")
    void aReceiverThatFailsTwiceThenAcceptsGetsEachSignedEventOnceAndARedeliveredRecordAddsNothing() throws Exception {
        String secret = subscribe(submitter, team, url("/flaky"), List.of(EventTypes.BUILD_FAILED)).statusCode(201)
                .extract().path("secret");
        String subscription = subscriptionOf(team);
        String buildId = submitBuild();
        String first = UUID.randomUUID().toString();
        String marker = UUID.randomUUID().toString();
        // The same record twice, as Kafka redelivers it after a crash before the commit, then another
        // event: same key, same partition, so the marker is handled after both.
        sendFailed(buildId, first);
        sendFailed(buildId, first);
        sendFailed(buildId, marker);

        await("both delivered").atMost(TIMEOUT).until(() -> accepted(first) == 1 && accepted(marker) == 1);
        List<Map<String, Object>> log = given().header("Authorization", submitter)
                .get(SUBSCRIPTIONS + "/" + subscription + "/deliveries").then().statusCode(200)
                .extract().jsonPath().getList("", Map.class).stream().map(delivery -> (Map<String, Object>) delivery)
                .toList();
        assertEquals(2, log.size(), "one delivery per event id: " + log);
        for (Map<String, Object> delivery : log) {
            assertEquals("DELIVERED", delivery.get("state"), delivery.toString());
            assertEquals(List.of(500, 500, 200), ((List<Map<String, Object>>) delivery.get("log")).stream()
                    .map(attempt -> attempt.get("status")).toList(), delivery.toString());
        }
        assertEquals(List.of(first, first, first), received.stream().map(r -> r.event().path("id").asText())
                .filter(first::equals).toList(), "three attempts of the first event, none more");

        Received delivered = received.stream().filter(r -> r.answered() == 200 && first.equals(r.event().path("id")
                .asText())).findFirst().orElseThrow();
        assertEquals("application/cloudevents+json", delivered.contentType());
        assertEquals("1.0", delivered.event().path("specversion").asText());
        assertEquals(EventTypes.BUILD_FAILED, delivered.event().path("type").asText());
        assertEquals(buildId, delivered.event().path("subject").asText());
        assertEquals("SCRIPT_FAILED", delivered.event().path("data").path("code").asText());
        assertEquals(log.stream().filter(d -> first.equals(d.get("eventId"))).findFirst().orElseThrow().get("id"),
                delivered.delivery());
        assertEquals(hmac(secret, delivered.timestamp() + "." + delivered.body()), delivered.signature());
        assertNotEquals(hmac("another-secret", delivered.timestamp() + "." + delivered.body()), delivered.signature());
    }

    @Test
    void aDeliveryIsGivenUpAfterMaxAttemptsAndRedeliveredOnRequestWithTheSameEventId() throws Exception {
        subscribe(submitter, team, url("/down"), List.of(EventTypes.BUILD_FAILED)).statusCode(201);
        String subscription = subscriptionOf(team);
        String eventId = UUID.randomUUID().toString();
        sendFailed(submitBuild(), eventId);
        String deliveries = SUBSCRIPTIONS + "/" + subscription + "/deliveries";
        await("given up").atMost(TIMEOUT).until(() -> given().header("Authorization", submitter).get(deliveries)
                .then().extract().path("[0].state"), "FAILED"::equals);
        given().header("Authorization", submitter).get(deliveries).then().body("[0].attempts", equalTo(4))
                .body("[0].log.status", equalTo(List.of(503, 503, 503, 503)))
                .body("[0].log.error", equalTo(List.of("HTTP 503", "HTTP 503", "HTTP 503", "HTTP 503")));
        String delivery = given().header("Authorization", submitter).get(deliveries).then().extract().path("[0].id");
        String redeliver = deliveries + "/" + delivery + "/redeliver";

        given().header("Authorization", TEAM_B_SUBMITTER).get(deliveries).then().statusCode(404);
        given().header("Authorization", TEAM_B_SUBMITTER).post(redeliver).then().statusCode(404);
        given().header("Authorization", TestTokens.bearer("notify-viewer", "viewer", team)).post(redeliver).then()
                .statusCode(403);

        given().header("Authorization", submitter).post(redeliver).then().statusCode(202)
                .body("state", equalTo("PENDING")).body("eventId", equalTo(eventId));
        await("given up again").atMost(TIMEOUT).until(() -> given().header("Authorization", submitter).get(deliveries)
                .then().extract().path("[0].attempts"), attempts -> Integer.valueOf(8).equals(attempts));
        assertEquals(8, received.stream().filter(r -> eventId.equals(r.event().path("id").asText())).count());
        assertEquals(1, received.stream().map(Received::delivery).distinct().count(), "one delivery id throughout");
    }

    /**
     * A revoked pack version reaches the subscriptions of the team whose build made it, once per
     * event id, whatever team the event's data names.
     */
    @Test
    void aRevokedPackIsDeliveredToTheBuildsTeamOnceWhateverTeamTheEventNames() throws Exception {
        subscribe(submitter, team, url("/revoked"), List.of(EventTypes.PACK_REVOKED)).statusCode(201);
        String buildId = submitBuild();
        String revocation = UUID.randomUUID().toString();
        String event = EventJson.write(new PackRetired("pack-" + team, "1.0.0", "intruders", buildId,
                "sha256:" + "ef".repeat(32), "ab".repeat(32), "CVE in the kernel", "security-admin",
                OffsetDateTime.now().toString()));
        kafka.sendCloudEvent(Topics.PACKS_RETIRED, buildId, EventTypes.PACK_REVOKED, revocation, OffsetDateTime.now(), event);
        kafka.sendCloudEvent(Topics.PACKS_RETIRED, buildId, EventTypes.PACK_REVOKED, revocation, OffsetDateTime.now(), event);

        await("revocation delivered").atMost(TIMEOUT).until(() -> accepted(revocation) == 1);
        Received delivered = received.stream().filter(r -> revocation.equals(r.event().path("id").asText()))
                .findFirst().orElseThrow();
        assertEquals("/revoked", delivered.path());
        assertEquals(EventTypes.PACK_REVOKED, delivered.event().path("type").asText());
        assertEquals(buildId, delivered.event().path("subject").asText());
        assertEquals("CVE in the kernel", delivered.event().path("data").path("reason").asText());
        String subscription = subscriptionOf(team);
        assertEquals(1, given().header("Authorization", submitter).get(SUBSCRIPTIONS + "/" + subscription + "/deliveries")
                .then().statusCode(200).extract().jsonPath().getList("").size(), "one delivery per event id");
    }

    @Test
    void theDatabaseHoldsTheSecretOnlyEncryptedAndDeliveriesAreSignedWithTheSecretShownAtCreation() throws Exception {
        String secret = subscribe(submitter, team, url("/sealed"), List.of(EventTypes.BUILD_FAILED)).statusCode(201)
                .extract().path("secret");
        UUID subscription = UUID.fromString(subscriptionOf(team));
        String stored = storedSecret(subscription);
        assertTrue(stored.startsWith("v1:"), stored);
        assertFalse(stored.contains(secret), stored);
        assertEquals(secret, new SecretCipher(secretKey, List.of()).open(subscription, stored).secret());

        Received delivered = deliverAnEvent();
        assertEquals(hmac(secret, delivered.timestamp() + "." + delivered.body()), delivered.signature());
    }

    @Test
    void aSecretCopiedFromAnotherTeamsSubscriptionDoesNotDecryptAndTheDeliveryFailsSayingWhy() throws Exception {
        String otherTeam = team + "-other";
        subscribe(TestTokens.bearer("notify-other", "submitter", otherTeam), otherTeam, url("/other"),
                List.of(EventTypes.BUILD_FAILED)).statusCode(201);
        subscribe(submitter, team, url("/moved"), List.of(EventTypes.BUILD_FAILED)).statusCode(201);
        UUID subscription = UUID.fromString(subscriptionOf(team));
        String copied = storedSecret(UUID.fromString(subscriptionOf(otherTeam)));
        setStoredSecret(subscription, copied);

        sendFailed(submitBuild(), UUID.randomUUID().toString());
        List<String> errors = errorsOnceGivenUp(subscription);
        assertEquals(4, errors.size(), errors.toString());
        for (String error : errors) {
            assertTrue(error.startsWith("not sent: subscription " + subscription + " has no usable signing secret: ")
                    && error.contains("does not decrypt for subscription " + subscription), error);
        }
        assertTrue(received.stream().noneMatch(r -> r.path().equals("/moved")), "nothing sent unsigned or missigned");
        assertEquals(copied, storedSecret(subscription), "left as it was");
    }

    @Test
    void anEmptyStoredSecretFailsItsDeliverySayingWhyInsteadOfRetryingItForever() throws Exception {
        subscribe(submitter, team, url("/empty"), List.of(EventTypes.BUILD_FAILED)).statusCode(201);
        UUID subscription = UUID.fromString(subscriptionOf(team));
        // Before the check, the HMAC key's constructor threw outside the attempt: nothing was recorded,
        // the lease ran out, and the delivery (and its subscription's queue behind it) was tried forever.
        String emptySealed = new SecretCipher(secretKey, List.of()).seal(subscription, "");
        setStoredSecret(subscription, emptySealed);

        sendFailed(submitBuild(), UUID.randomUUID().toString());
        List<String> errors = errorsOnceGivenUp(subscription);
        assertEquals(4, errors.size(), errors.toString());
        for (String error : errors) {
            assertEquals("not sent: subscription " + subscription + " has no usable signing secret: its secret is empty "
                    + "(delete it and subscribe again)", error);
        }
        assertTrue(received.stream().noneMatch(r -> r.path().equals("/empty")), "nothing sent unsigned");
    }

    /** The attempts' errors of the subscription's delivery, once it has been given up. */
    private List<String> errorsOnceGivenUp(UUID subscription) {
        String deliveries = SUBSCRIPTIONS + "/" + subscription + "/deliveries";
        await("given up").atMost(TIMEOUT).until(() -> given().header("Authorization", submitter).get(deliveries)
                .then().extract().path("[0].state"), "FAILED"::equals);
        return given().header("Authorization", submitter).get(deliveries).then().statusCode(200)
                .extract().path("[0].log.error");
    }

    @Test
    void aSecretStoredInPlainTextBeforeEncryptionStillSignsAndIsEncryptedAtItsFirstDelivery() throws Exception {
        subscribe(submitter, team, url("/legacy"), List.of(EventTypes.BUILD_FAILED)).statusCode(201);
        UUID subscription = UUID.fromString(subscriptionOf(team));
        String legacy = "legacy-" + UUID.randomUUID();
        setStoredSecret(subscription, legacy);

        Received delivered = deliverAnEvent();
        assertEquals(hmac(legacy, delivered.timestamp() + "." + delivered.body()), delivered.signature());
        assertEncryptedUnderTheCurrentKey(subscription, legacy);
    }

    @Test
    void aSecretUnderThePreviousKeyStillSignsAfterRotationAndIsEncryptedUnderTheCurrentKey() throws Exception {
        subscribe(submitter, team, url("/rotated"), List.of(EventTypes.BUILD_FAILED)).statusCode(201);
        UUID subscription = UUID.fromString(subscriptionOf(team));
        String secret = "rotated-" + UUID.randomUUID();
        setStoredSecret(subscription, new SecretCipher(previousSecretKey, List.of()).seal(subscription, secret));

        Received delivered = deliverAnEvent();
        assertEquals(hmac(secret, delivered.timestamp() + "." + delivered.body()), delivered.signature());
        assertEncryptedUnderTheCurrentKey(subscription, secret);
    }

    @Test
    void theStartUpPassEncryptsPlainTextAndPreviousKeySecretsAndLeavesAnUnreadableOneAlone() {
        subscribe(submitter, team, url("/plain"), List.of(EventTypes.BUILD_FAILED)).statusCode(201);
        UUID plain = UUID.fromString(subscriptionOf(team));
        String otherTeam = team + "-rotated";
        subscribe(TestTokens.bearer("notify-other", "submitter", otherTeam), otherTeam, url("/rotated"),
                List.of(EventTypes.BUILD_FAILED)).statusCode(201);
        UUID rotated = UUID.fromString(subscriptionOf(otherTeam));
        String unreadableTeam = team + "-unreadable";
        subscribe(TestTokens.bearer("notify-other", "submitter", unreadableTeam), unreadableTeam, url("/unreadable"),
                List.of(EventTypes.BUILD_FAILED)).statusCode(201);
        UUID unreadable = UUID.fromString(subscriptionOf(unreadableTeam));
        setStoredSecret(plain, "plain-secret");
        setStoredSecret(rotated, new SecretCipher(previousSecretKey, List.of()).seal(rotated, "rotated-secret"));
        // Sealed for another subscription under a previous key: neither opens nor is overwritten.
        String moved = new SecretCipher(previousSecretKey, List.of()).seal(plain, "someone-elses");
        setStoredSecret(unreadable, moved);

        assertTrue(subscriptions.resealAll() >= 2);
        assertEncryptedUnderTheCurrentKey(plain, "plain-secret");
        assertEncryptedUnderTheCurrentKey(rotated, "rotated-secret");
        assertEquals(moved, storedSecret(unreadable));
    }

    /** Sends a build.failed event of the team; the request the receiver accepted for it. */
    private Received deliverAnEvent() throws IOException {
        String eventId = UUID.randomUUID().toString();
        sendFailed(submitBuild(), eventId);
        await("delivered").atMost(TIMEOUT).until(() -> accepted(eventId) == 1);
        return received.stream().filter(r -> eventId.equals(r.event().path("id").asText())).findFirst().orElseThrow();
    }

    private void assertEncryptedUnderTheCurrentKey(UUID subscription, String secret) {
        String stored = storedSecret(subscription);
        assertFalse(stored.contains(secret), stored);
        assertEquals(new SecretCipher.Opened(secret, false),
                new SecretCipher(secretKey, List.of()).open(subscription, stored), "sealed under the current key only");
    }

    private String storedSecret(UUID subscription) {
        return pool.preparedQuery("select secret from notification_subscription where id = $1")
                .execute(Tuple.of(subscription)).await().atMost(TIMEOUT).iterator().next().getString("secret");
    }

    /** Writes the column as an older installation, or an attacker with SQL access, would have. */
    private void setStoredSecret(UUID subscription, String stored) {
        pool.preparedQuery("update notification_subscription set secret = $2 where id = $1")
                .execute(Tuple.of(subscription, stored)).await().atMost(TIMEOUT);
    }

    private String url(String path) {
        return "http://127.0.0.1:" + receiver.getAddress().getPort() + path;
    }

    private String subscriptionOf(String owner) {
        return given().header("Authorization", TestTokens.bearer("notify-viewer", "viewer", owner))
                .get(SUBSCRIPTIONS + "?team=" + owner).then().statusCode(200).extract().path("[0].id");
    }

    private String submitBuild() throws IOException {
        String yaml = Files.readString(Path.of("..", "examples", "debian-12-qemu.yaml"))
                .replace("name: debian-12-node", "name: notified")
                .replace("team: platform", "team: " + team)
                .replace("name: byoos-debian-12\n", "name: pack-" + team + "\n");
        return given().header("Authorization", submitter).contentType("application/yaml")
                .body(yaml.getBytes(StandardCharsets.UTF_8)).post("/api/v1/specs").then().statusCode(201)
                .extract().path("builds[0].id");
    }

    private void sendFailed(String buildId, String eventId) {
        kafka.sendCloudEvent(Topics.BUILDS_FAILED, buildId, EventTypes.BUILD_FAILED, eventId, OffsetDateTime.now(),
                EventJson.write(new BuildFailed(RequestedCoordinates.of(kafka, buildId), "build", "SCRIPT_FAILED",
                        "exit 3", false)));
    }

    private long accepted(String eventId) {
        return received.stream().filter(r -> r.answered() / 100 == 2 && eventId.equals(r.event().path("id").asText()))
                .count();
    }

    private static String hmac(String secret, String signed) throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return "sha256=" + HexFormat.of().formatHex(mac.doFinal(signed.getBytes(StandardCharsets.UTF_8)));
    }

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
                List.of(EventTypes.BUILD_FAILED, EventTypes.PACK_REVOKED)).statusCode(201)
                .body("secret", notNullValue()).body("team", equalTo("notify-a")).extract().path("id");
        String listed = "find { it.id == '" + id + "' }";

        given().header("Authorization", TEAM_A_VIEWER).get(SUBSCRIPTIONS).then().statusCode(200)
                .body(listed + ".eventTypes", equalTo(List.of(EventTypes.BUILD_FAILED, EventTypes.PACK_REVOKED)))
                .body(listed + ".secret", nullValue());
        given().header("Authorization", TEAM_B_SUBMITTER).get(SUBSCRIPTIONS).then().statusCode(200)
                .body("id", not(hasItem(id)));
        given().header("Authorization", TEAM_B_SUBMITTER).get(SUBSCRIPTIONS + "?team=notify-a").then()
                .statusCode(403).contentType("application/problem+json");
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
