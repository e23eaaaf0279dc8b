package dev.byoos.spec.service;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;

import dev.byoos.contract.BuildRequested;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.Topics;
import dev.byoos.spec.notify.NotificationTypes;
import dev.byoos.spec.repository.WatchStore;
import dev.byoos.spec.repository.WatchStore.BaseObservation;
import dev.byoos.spec.service.InputWatcher.BaseCheck;
import dev.byoos.spec.service.InputWatcher.Outcome;
import dev.byoos.spec.validation.HostPolicy;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.KafkaTestClient;
import dev.byoos.testsupport.TestTokens;

/**
 * The input watcher on the real database and Kafka, against a local mirror on loopback (allowed
 * by this class's profile) whose Release files the tests change, and a support matrix file with a
 * later 1.30 patch release. The tests call the checks with their own time; the ticker never runs.
 */
@QuarkusTest
@TestProfile(InputWatcherTest.LocalMirror.class)
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "database", value = "spec_service"))
class InputWatcherTest {

    static final Duration TIMEOUT = Duration.ofSeconds(60);
    static final int MAX_RELEASE_BYTES = 64 * 1024;
    static final String SUBMITTER = NextPackVersionRebuildsTest.SUBMITTER;
    static final String VIEWER = TestTokens.bearer("watch-viewer", "viewer", "platform");
    static final ObjectMapper JSON = new ObjectMapper();

    /** The public defaults plus loopback, the test's matrix, a small cap so an oversized answer is cheap. */
    public static class LocalMirror implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("byoos.spec.allowed-hosts", ".mirror.example,127.0.0.1",
                    "byoos.spec.kubernetes-support-matrix-file",
                    Path.of("src/test/resources/watch/kubernetes-support-matrix.json").toAbsolutePath().toString(),
                    "byoos.spec.watch.max-release-bytes", Integer.toString(MAX_RELEASE_BYTES),
                    "byoos.spec.watch.timeout", "5s");
        }
    }

    @Inject
    InputWatcher watcher;

    @Inject
    MeterRegistry registry;

    @Inject
    Pool pool;

    @Inject
    WatchStore store;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    HttpServer mirror;
    /** The body each path answers with; a path not here is 404. */
    final Map<String, byte[]> files = new ConcurrentHashMap<>();
    /** Every event the team receiver got. */
    final List<JsonNode> received = new CopyOnWriteArrayList<>();
    String prefix;

    @BeforeEach
    void start() throws IOException {
        prefix = "/" + UUID.randomUUID().toString().substring(0, 8);
        mirror = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        mirror.createContext("/", this::serve);
        mirror.start();
    }

    @AfterEach
    void stop() {
        mirror.stop(0);
    }

    private void serve(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        if (path.startsWith("/receiver")) {
            received.add(JSON.readTree(exchange.getRequestBody().readAllBytes()));
            exchange.sendResponseHeaders(204, -1);
        } else if (path.contains("/moved/")) {
            exchange.getResponseHeaders().add("Location", "http://169.254.169.254/latest/meta-data/");
            exchange.sendResponseHeaders(302, -1);
        } else if (files.containsKey(path)) {
            byte[] body = files.get(path);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
        } else {
            exchange.sendResponseHeaders(404, -1);
        }
        exchange.close();
    }

    private String mirrorUrl(String name) {
        return "http://127.0.0.1:" + mirror.getAddress().getPort() + prefix + "/" + name;
    }

    private void release(String name, String file, String date) {
        files.put(prefix + "/" + name + "/dists/bookworm/" + file, releaseText(date).getBytes(StandardCharsets.UTF_8));
    }

    private static String releaseText(String date) {
        return "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nOrigin: Debian\nSuite: stable\nCodename: bookworm\n"
                + "Date: " + date + "\n-----BEGIN PGP SIGNATURE-----\n\nnot checked\n-----END PGP SIGNATURE-----\n";
    }

    /** The example spec on a debootstrap base from {@code mirror}, with the given policy and updates. */
    private static String spec(String name, String mirror, String policy, String updates) throws Exception {
        return NextPackVersionRebuildsTest.specWithPolicy(name, policy).replace("      local: debian-12-skeleton\n",
                "      debootstrap:\n        suite: bookworm\n        mirror: " + mirror + "\n") + "  updates:\n" + updates;
    }

    /** A spec with a patch policy that rebuilds when the Release file of local mirror {@code mirror}, served now, changes. */
    private String rebuildingSpec(String prefix, String mirror) throws Exception {
        String spec = name(prefix);
        release(mirror, "InRelease", "Sat, 05 Dec 2026 08:00:00 UTC");
        NextPackVersionRebuildsTest.submit(spec(spec, mirrorUrl(mirror), "patch", "    base: rebuild\n"));
        return spec;
    }

    private static String name(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static BaseCheck checkOf(List<BaseCheck> checks, String mirror) {
        return checks.stream().filter(check -> check.mirror().equals(mirror)).findFirst().orElseThrow();
    }

    private static void noVersion(String team, String token, String spec, int version) {
        given().header("Authorization", token).get("/api/v1/specs/" + spec + "/versions/" + version + "?team=" + team)
                .then().statusCode(404);
    }

    private double errors(String reason) {
        Counter counter = registry.find(InputWatcher.ERRORS).tags("input", "base", "reason", reason).counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void aChangedReleaseAfterTheBaselineRebuildsOnceWithTheNextPackAndTriggerBaseUpdated() throws Exception {
        String spec = rebuildingSpec("watch-base", "debian");
        String url = mirrorUrl("debian");

        assertEquals(Outcome.BASELINE, checkOf(watcher.checkBases(Instant.now()), url).outcome());
        assertEquals(Outcome.UNCHANGED, checkOf(watcher.checkBases(Instant.now()), url).outcome());
        noVersion("platform", VIEWER, spec, 2);

        release("debian", "InRelease", "Sat, 05 Dec 2026 14:00:00 UTC");
        assertEquals(Outcome.CHANGED, checkOf(watcher.checkBases(Instant.now()), url).outcome());
        assertEquals(Outcome.UNCHANGED, checkOf(watcher.checkBases(Instant.now()), url).outcome());

        String buildId = given().header("Authorization", VIEWER).get("/api/v1/specs/" + spec + "/versions/2?team=platform")
                .then().statusCode(200).body("document.spec.pack.version", equalTo("1.0.1"))
                .body("document.spec.updates.base", equalTo("rebuild"))
                .body("builds[0].trigger", equalTo("base-updated")).extract().path("builds[0].id");
        noVersion("platform", VIEWER, spec, 3);
        try (KafkaTestClient kafka = new KafkaTestClient(bootstrapServers)) {
            BuildRequested requested = EventJson.read(kafka.awaitRecords(Topics.BUILDS_REQUESTED, buildId, 1, TIMEOUT)
                    .get(0).value(), BuildRequested.class);
            assertEquals("base-updated", requested.trigger());
        }
    }

    @Test
    void aNotifySpecGetsTheBaseUpdatedEventDeliveredAndNoBuild() throws Exception {
        String team = "watch-" + UUID.randomUUID().toString().substring(0, 8);
        String submitter = TestTokens.bearer("watch-submitter", "submitter", team);
        String spec = name("watch-notify");
        String url = mirrorUrl("notify");
        given().header("Authorization", submitter).contentType("application/json")
                .body(Map.of("team", team, "url", "http://127.0.0.1:" + mirror.getAddress().getPort() + "/receiver",
                        "eventTypes", List.of(NotificationTypes.BASE_UPDATED)))
                .post("/api/v1/subscriptions").then().statusCode(201);
        // Only Release: the mirror has no InRelease, so the watcher falls back.
        release("notify", "Release", "Sat, 05 Dec 2026 08:00:00 UTC");
        String yaml = spec(spec, url, null, "    base: notify\n").replace("team: platform", "team: " + team)
                .replace("name: byoos-debian-12\n", "name: pack-" + team + "\n");
        given().header("Authorization", submitter).contentType("application/yaml")
                .body(yaml.getBytes(StandardCharsets.UTF_8)).post("/api/v1/specs").then().statusCode(201);
        assertEquals(Outcome.BASELINE, checkOf(watcher.checkBases(Instant.now()), url).outcome());
        String oldDigest = sha256(releaseText("Sat, 05 Dec 2026 08:00:00 UTC"));

        release("notify", "Release", "Sun, 06 Dec 2026 08:00:00 UTC");
        assertEquals(Outcome.CHANGED, checkOf(watcher.checkBases(Instant.now()), url).outcome());

        await("base-updated delivered").atMost(TIMEOUT).until(() -> !received.isEmpty());
        JsonNode event = received.get(0);
        assertEquals(NotificationTypes.BASE_UPDATED, event.path("type").asText());
        assertEquals(team + "/" + spec, event.path("subject").asText());
        JsonNode data = event.path("data");
        assertEquals(Map.of("team", team, "spec", spec, "mirror", url, "suite", "bookworm", "oldDigest", oldDigest,
                "newDigest", sha256(releaseText("Sun, 06 Dec 2026 08:00:00 UTC")),
                "releaseDate", "Sun, 06 Dec 2026 08:00:00 UTC", "action", "notify"),
                JSON.convertValue(data, Map.class));
        noVersion(team, submitter, spec, 2);
        given().header("Authorization", submitter).get("/api/v1/specs/" + spec + "/versions/1?team=" + team).then()
                .statusCode(200).body("builds.size()", equalTo(1));
    }

    @Test
    void twoWatchersRacingOnTheSameChangeRebuildOnce() throws Exception {
        String spec = rebuildingSpec("watch-race", "race");
        String url = mirrorUrl("race");
        watcher.checkBases(Instant.now());
        release("race", "InRelease", "Sat, 05 Dec 2026 20:00:00 UTC");

        var one = CompletableFuture.supplyAsync(() -> checkOf(watcher.checkBases(Instant.now()), url).outcome());
        var two = CompletableFuture.supplyAsync(() -> checkOf(watcher.checkBases(Instant.now()), url).outcome());
        List<Outcome> outcomes = List.of(one.get(), two.get());
        assertEquals(1, outcomes.stream().filter(Outcome.CHANGED::equals).count(), outcomes.toString());

        given().header("Authorization", VIEWER).get("/api/v1/specs/" + spec + "/versions/2?team=platform").then()
                .statusCode(200).body("builds[0].trigger", equalTo("base-updated"));
        noVersion("platform", VIEWER, spec, 3);

        // Two replicas that read the same digest and saw the same new one: one claim wins.
        OffsetDateTime now = OffsetDateTime.now();
        BaseObservation seen = new BaseObservation(mirrorUrl("claimed"), "bookworm", "a".repeat(64), null);
        BaseObservation changed = new BaseObservation(seen.mirror(), seen.suite(), "b".repeat(64), "today");
        assertTrue(store.baseline(seen, now).await().atMost(TIMEOUT));
        var claims = Uni.combine().all().unis(store.claimChange(seen.digest(), changed, now),
                store.claimChange(seen.digest(), changed, now)).asTuple().await().atMost(TIMEOUT);
        assertEquals(1, (claims.getItem1() ? 1 : 0) + (claims.getItem2() ? 1 : 0), claims.toString());
        assertEquals(changed, store.base(seen.mirror(), seen.suite()).await().atMost(TIMEOUT));
    }

    @Test
    void anOversizedRedirectingOrUnreachableMirrorChangesNothingAndIsCounted() throws Exception {
        files.put(prefix + "/big/dists/bookworm/InRelease", new byte[MAX_RELEASE_BYTES + 1]);
        Map<String, String> mirrors = Map.of("too-large", mirrorUrl("big"), "redirect", mirrorUrl("moved"),
                "unreachable", "http://127.0.0.1:1" + prefix + "/gone");
        Map<String, Double> before = Map.of("too-large", errors("too-large"), "redirect", errors("redirect"),
                "unreachable", errors("unreachable"));
        for (String mirrorUrl : mirrors.values()) {
            NextPackVersionRebuildsTest.submit(spec(name("watch-hostile"), mirrorUrl, "patch", "    base: rebuild\n"));
        }

        for (int round = 0; round < 2; round++) {
            List<BaseCheck> checks = watcher.checkBases(Instant.now());
            for (var expected : mirrors.entrySet()) {
                BaseCheck check = checkOf(checks, expected.getValue());
                assertEquals(Outcome.FAILED, check.outcome(), check.toString());
                assertEquals(expected.getKey(), check.reason(), check.toString());
            }
        }
        // At least: mirrors of specs other tests left behind are down by now and count too.
        for (String reason : mirrors.keySet()) {
            assertTrue(errors(reason) >= before.get(reason) + 2, reason + ": " + errors(reason));
        }
        assertEquals(0L, pool.preparedQuery("select count(*) from base_observation where mirror like $1")
                .execute(io.vertx.mutiny.sqlclient.Tuple.of("%" + prefix + "%")).await().atMost(TIMEOUT)
                .iterator().next().getLong(0), "nothing observed, not even a baseline");
    }

    @Test
    void aMirrorOnAHostNoLongerAllowedIsNotContacted() throws Exception {
        release("debian", "InRelease", "Sat, 05 Dec 2026 08:00:00 UTC");
        List<String> requests = new CopyOnWriteArrayList<>();
        mirror.removeContext("/");
        mirror.createContext("/", exchange -> {
            requests.add(exchange.getRequestURI().getPath());
            serve(exchange);
        });
        ReleaseFiles narrower = new ReleaseFiles(new HostPolicy(List.of("mirror.example")), Duration.ofSeconds(5),
                MAX_RELEASE_BYTES);
        ReleaseFiles.Unobservable refused = assertThrows(ReleaseFiles.Unobservable.class,
                () -> narrower.observe(mirrorUrl("debian"), "bookworm"));
        assertEquals("host-not-allowed", refused.reason());
        assertEquals(List.of(), requests);
        ReleaseFiles loopback = new ReleaseFiles(new HostPolicy(List.of("127.0.0.1")), Duration.ofSeconds(5),
                MAX_RELEASE_BYTES);
        assertEquals("Sat, 05 Dec 2026 08:00:00 UTC", loopback.observe(mirrorUrl("debian"), "bookworm").date());
        assertEquals(1, requests.size());
    }

    @Test
    void aMirrorThatTricklesItsAnswerIsCutOffAtTheTimeoutWhateverItsHeadersSaid() throws Exception {
        mirror.createContext(prefix + "/slow/", exchange -> {
            exchange.sendResponseHeaders(200, 1000);
            exchange.getResponseBody().write('D');
            exchange.getResponseBody().flush();
            try {
                Thread.sleep(3000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.close();
        });
        ReleaseFiles impatient = new ReleaseFiles(new HostPolicy(List.of("127.0.0.1")), Duration.ofMillis(500),
                MAX_RELEASE_BYTES);
        ReleaseFiles.Unobservable cutOff = assertThrows(ReleaseFiles.Unobservable.class,
                () -> impatient.observe(mirrorUrl("slow"), "bookworm"));
        assertEquals("timeout", cutOff.reason(), cutOff.getMessage());
    }

    @Test
    void aHigherKubernetesPatchRebuildsOnceWithThePatchAndItsDefaultsAndNotifiesOnce() throws Exception {
        String rebuilt = name("watch-k8s");
        NextPackVersionRebuildsTest.submit(NextPackVersionRebuildsTest.specWithPolicy(rebuilt, "patch")
                .replace("    version: 1.30.4\n", "    version: 1.30.4\n    cni: 1.2.0\n")
                + "  updates:\n    kubernetesPatches: rebuild\n");
        String notified = name("watch-k8s-notify");
        NextPackVersionRebuildsTest.submit(NextPackVersionRebuildsTest.specWithPolicy(notified, null)
                + "  updates:\n    kubernetesPatches: notify\n");

        Map<String, String> acted = watcher.checkKubernetesPatches(Instant.now());
        assertEquals("1.30.9", acted.get("platform/" + rebuilt));
        assertEquals("1.30.9", acted.get("platform/" + notified));
        Map<String, String> again = watcher.checkKubernetesPatches(Instant.now());
        assertFalse(again.containsKey("platform/" + rebuilt), again.toString());
        assertFalse(again.containsKey("platform/" + notified), again.toString());

        given().header("Authorization", VIEWER).get("/api/v1/specs/" + rebuilt + "/versions/2?team=platform").then()
                .statusCode(200).body("document.spec.kubernetes.version", equalTo("1.30.9"))
                .body("document.spec.kubernetes.containerd", equalTo("1.7.20"))
                .body("document.spec.kubernetes.crictl", equalTo("1.30.0"))
                .body("document.spec.kubernetes.cni", equalTo("1.2.0"))
                .body("document.spec.pack.version", equalTo("1.0.1"))
                .body("builds[0].trigger", equalTo("kubernetes-patch"));
        noVersion("platform", VIEWER, rebuilt, 3);
        noVersion("platform", VIEWER, notified, 2);
    }

    @Test
    void aRebuildWithoutAVersionPolicyIsRefusedAtIntakeAtTheFieldsPointer() throws Exception {
        String spec = name("watch-nopolicy");
        given().header("Authorization", SUBMITTER).contentType("application/yaml")
                .body(spec(spec, mirrorUrl("debian"), null, "    base: rebuild\n").getBytes(StandardCharsets.UTF_8))
                .post("/api/v1/specs").then().statusCode(400)
                .body("violations.pointer", hasItem("/spec/updates/base"))
                .body("violations.find { it.pointer == '/spec/updates/base' }.code", equalTo("NOT_ALLOWED"));
        noVersion("platform", VIEWER, spec, 1);
    }

    @Test
    void oneCheckPerIntervalIsClaimedAcrossReplicas() throws Exception {
        OffsetDateTime next = pool.query("select next_check_at from input_watch").execute().await().atMost(TIMEOUT)
                .iterator().next().getOffsetDateTime(0);
        Instant now = next.toInstant().isAfter(Instant.now()) ? next.toInstant() : Instant.now();

        var one = CompletableFuture.supplyAsync(() -> watcher.claim(now));
        var two = CompletableFuture.supplyAsync(() -> watcher.claim(now));
        assertEquals(1, (one.get() ? 1 : 0) + (two.get() ? 1 : 0));
        assertFalse(watcher.claim(now.plusSeconds(60)), "the window is taken");
        assertTrue(pool.query("select next_check_at from input_watch").execute().await().atMost(TIMEOUT).iterator()
                .next().getOffsetDateTime(0).toInstant().isAfter(now));
    }

    private static String sha256(String text) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    }
}
