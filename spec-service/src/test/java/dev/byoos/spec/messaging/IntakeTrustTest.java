package dev.byoos.spec.messaging;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.AbstractRecords;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.RecordBatch;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ValidatableResponse;

import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.SpecRejected;
import dev.byoos.contract.Topics;
import dev.byoos.localauth.LocalTokens;
import dev.byoos.spec.rest.HookResource;
import dev.byoos.spec.validation.Violation;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.KafkaTestClient;
import dev.byoos.testsupport.PrometheusMetrics;
import dev.byoos.testsupport.TestTokens;

/**
 * The trust boundaries of intake on real Kafka and PostgreSQL: a submitted event is believed only
 * as far as its credential goes, pack names belong to the team that used them first, and
 * idempotency keys are each team's own.
 */
@QuarkusTest
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "database", value = "spec_service"))
class IntakeTrustTest {

    static final Duration TIMEOUT = Duration.ofSeconds(30);
    static final String UNWRITABLE = "byoos_dead_letters_unwritable_total";
    static final String SIGNER_SOURCE = "urn:byoos:test-signer";
    static final String SIGNER_SECRET = "test-intake-secret";
    static final String ED25519_SOURCE = "urn:byoos:test-ed25519-signer";
    /** PKCS#8 of the test-only key whose public half application.properties registers for ED25519_SOURCE. */
    static final String ED25519_PRIVATE_KEY = "MC4CAQAwBQYDK2VwBCIEINCvEv0dSsREr5Cf0c9DO4zL0kL5hcyXCsCl4kPgY8tq";

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrapServers;

    @TestHTTPResource("/q/metrics")
    URI metricsUrl;

    @Inject
    DataSource database;

    KafkaTestClient kafka;
    String suffix;

    @BeforeEach
    void connect() {
        kafka = new KafkaTestClient(bootstrapServers);
        suffix = UUID.randomUUID().toString().substring(0, 8);
    }

    @AfterEach
    void disconnect() {
        kafka.close();
    }

    @Test
    void aSubmissionWithoutCredentialIsRejectedAsUnauthenticatedAndStoresNothing() throws Exception {
        String name = "anonymous-" + suffix;
        List<SpecRejected.Violation> violations = submitAndAwaitRejection(spec(name, "platform"), Map.of());
        assertEquals(List.of(Violation.UNAUTHENTICATED), violations.stream().map(SpecRejected.Violation::code).toList());
        // A token signed with a key of the submitter's own making.
        String forged = LocalTokens.in(Files.createTempDirectory("forger")).mint("mallory", List.of("platform"),
                List.of("admin"), Duration.ofHours(1));
        assertRefusedWithNothingStored(Violation.UNAUTHENTICATED, name, "platform", "Bearer " + forged);
    }

    @Test
    void expiredOrForeignAudienceOrTooOldTokensAreUnauthenticatedOnKafkaToo() throws Exception {
        String name = "stale-token-" + suffix;
        var issuer = TestTokens.issuer();
        for (String token : List.of(
                issuer.mint("alice", List.of("team-a"), List.of("submitter"), Duration.ofMinutes(-10)),
                issuer.mint("alice", List.of("team-a"), List.of("submitter"), "another-installation", Instant.now(),
                        Duration.ofHours(1)),
                issuer.mint("alice", List.of("team-a"), List.of("submitter"), LocalTokens.AUDIENCE,
                        Instant.now().minus(Duration.ofHours(13)), Duration.ofHours(24)))) {
            assertRefusedWithNothingStored(Violation.UNAUTHENTICATED, name, "team-a", "Bearer " + token);
        }
    }

    @Test
    void aTokenOfAnotherTeamOrOfAViewerIsForbidden() throws Exception {
        String name = "intruder-" + suffix;
        assertRefusedWithNothingStored(Violation.FORBIDDEN, name, "team-a", TestTokens.bearer("bob", "submitter", "team-b"));
        assertRefusedWithNothingStored(Violation.FORBIDDEN, name, "team-a", TestTokens.bearer("carol", "viewer", "team-a"));
    }

    @Test
    void aSubmissionQuotingHugeAttributesIsDeadLetteredWithABoundedReasonAndTheNextIsStillAccepted() throws Exception {
        String id = UUID.randomUUID().toString();
        String alice = TestTokens.bearer("alice", "submitter", "team-a");
        // Before: the reason quoted the whole value, so the dead letter (record + reason) was twice its
        // size, Kafka refused it, and the channel stopped for every team at this record.
        sendSubmission(id, spec("huge-specversion-" + suffix, "team-a"),
                Map.of("specversion", "9".repeat(600_000), "authorization", alice));

        ConsumerRecord<String, String> deadLetter = kafka.awaitRecords(Topics.deadLetter(Topics.SPECS_SUBMITTED), id, 1,
                TIMEOUT).get(0);
        String reason = KafkaTestClient.header(deadLetter, "dead-letter-reason").orElseThrow();
        assertEquals("CloudEvent specversion is '" + "9".repeat(64) + "…' (600000 characters), expected '1.0'", reason);
        assertNextSubmissionIsAccepted(alice);

        String longSource = UUID.randomUUID().toString();
        sendSubmission(longSource, spec("huge-source-" + suffix, "team-a"),
                Map.of("source", "urn:" + "s".repeat(2_000), "authorization", alice));
        assertEquals("CloudEvent attribute source is 2004 characters long, at most 1024", KafkaTestClient.header(
                kafka.awaitRecords(Topics.deadLetter(Topics.SPECS_SUBMITTED), longSource, 1, TIMEOUT).get(0),
                "dead-letter-reason").orElseThrow());
    }

    @Test
    void aSubmissionTooLargeToDeadLetterIsSkippedCountedAndDoesNotStopTheChannel() throws Exception {
        String id = UUID.randomUUID().toString();
        String alice = TestTokens.bearer("alice", "submitter", "team-a");
        PrometheusMetrics before = PrometheusMetrics.scrape(metricsUrl);
        Map<String, String> submitted = Map.of("topic", Topics.SPECS_SUBMITTED);
        // A malformed submission just under the producer's 1 MiB request limit: its dead letter (the
        // record plus the connector's headers) cannot be written, however short the reason.
        sendSubmission(id, "", Map.of("specversion", "9".repeat(specversionFilling(id, 1_048_576 - 100))));

        PrometheusMetrics.awaitSum(metricsUrl, UNWRITABLE, submitted,
                before.sum(UNWRITABLE, submitted) + 1, TIMEOUT);
        assertNextSubmissionIsAccepted(alice);
        assertEquals(List.of(), kafka.recordsWithin(Topics.deadLetter(Topics.SPECS_SUBMITTED), id, Duration.ofSeconds(1)));
        given().get("/q/health/live").then().statusCode(200);
    }

    /** Another team's valid submission, after a poison one: the channel still takes submissions. */
    private void assertNextSubmissionIsAccepted(String authorization) throws Exception {
        String name = "after-poison-" + UUID.randomUUID().toString().substring(0, 8);
        sendSubmission(UUID.randomUUID().toString(), spec(name, "team-a"), Map.of("authorization", authorization));
        awaitCount("select count(*) from image_spec where name = ?", name, 1);
    }

    /**
     * How many characters of ce_specversion make a submission record (as {@link #sendSubmission} builds
     * it, with empty data) {@code size} bytes in the producer's own estimate.
     */
    private static int specversionFilling(String id, int size) {
        Header[] headers = Stream.of(Map.entry("ce_specversion", "1.0"), Map.entry("ce_id", id),
                        Map.entry("ce_type", EventTypes.SPEC_SUBMITTED), Map.entry("ce_source", KafkaTestClient.TEST_SOURCE),
                        Map.entry("ce_time", Instant.now().toString()), Map.entry("content-type", "application/yaml"))
                .map(header -> new RecordHeader(header.getKey(), header.getValue().getBytes(StandardCharsets.UTF_8)))
                .toArray(Header[]::new);
        int withoutFilling = AbstractRecords.estimateSizeInBytesUpperBound(RecordBatch.CURRENT_MAGIC_VALUE,
                CompressionType.NONE, id.getBytes(StandardCharsets.UTF_8), new byte[0], headers);
        // The value's varint length prefix grows by 2 bytes past 16 KiB; ce_specversion's "1.0" is replaced.
        return size - withoutFilling + "1.0".length() - 2;
    }

    @Test
    void aSubmitterTokenForTheSpecsTeamIsAccepted() throws Exception {
        String name = "with-token-" + suffix;
        sendSubmission(UUID.randomUUID().toString(), spec(name, "team-a"),
                Map.of("authorization", TestTokens.bearer("alice", "submitter", "team-a")));
        awaitCount("select count(*) from image_spec where name = ?", name, 1);
    }

    @Test
    void aRegisteredSourcesHmacOrEd25519SignatureCoversTheWholeEventAndItsAllowedTeams() throws Exception {
        String name = "signed-" + suffix;
        String yaml = spec(name, "team-a");
        String id = UUID.randomUUID().toString();
        String time = Instant.now().toString();
        // Signed by the registered source, but for another event id: the signature does not verify.
        String otherId = UUID.randomUUID().toString();
        assertEquals(Violation.UNAUTHENTICATED, submitAndAwaitRejection(id, yaml,
                signedBy(SIGNER_SOURCE, time, sign(otherId, time, yaml))).get(0).code());
        // A well-signed event for a team the source is not registered for.
        String other = spec(name, "team-b");
        String otherEvent = UUID.randomUUID().toString();
        assertEquals(Violation.FORBIDDEN, submitAndAwaitRejection(otherEvent, other,
                signedBy(SIGNER_SOURCE, time, sign(otherEvent, time, other))).get(0).code());
        assertEquals(0, count("select count(*) from image_spec where name = ?", name));

        String accepted = UUID.randomUUID().toString();
        sendSubmission(accepted, yaml, signedBy(SIGNER_SOURCE, time, sign(accepted, time, yaml)));
        awaitCount("select count(*) from image_spec where name = ? and team = 'team-a'", name, 1);

        // An Ed25519 source: a signature over one spec does not cover a changed one; over the sent one it does.
        String edName = "ed25519-" + suffix;
        String edYaml = spec(edName, "team-a");
        String altered = UUID.randomUUID().toString();
        assertEquals(Violation.UNAUTHENTICATED, submitAndAwaitRejection(altered, edYaml.replace("role=worker", "role=root"),
                signedBy(ED25519_SOURCE, time, ed25519(signedBytes(altered, ED25519_SOURCE, time, edYaml)))).get(0).code());
        String edId = UUID.randomUUID().toString();
        sendSubmission(edId, edYaml, signedBy(ED25519_SOURCE, time, ed25519(signedBytes(edId, ED25519_SOURCE, time, edYaml))));
        awaitCount("select count(*) from image_spec where name = ? and team = 'team-a'", edName, 1);
    }

    @Test
    void aPackNameBelongsToTheTeamThatUsedItFirst() throws Exception {
        String pack = "owned-" + suffix;
        String squatter = "squatter-" + suffix;
        submit(TestTokens.bearer("alice", "submitter", "team-a"), spec("first-" + suffix, "team-a", pack)).statusCode(201);
        submit(TestTokens.bearer("bob", "submitter", "team-b"), spec(squatter, "team-b", pack))
                .statusCode(409).contentType("application/problem+json")
                .body("violations[0].pointer", equalTo("/spec/pack/name"))
                .body("violations[0].code", equalTo(Violation.PACK_NAME_TAKEN));
        // Not even an administrator acting for team-b takes it; by Kafka it is rejected the same way.
        submit(TestTokens.bearer("root", "admin"), spec(squatter, "team-b", pack)).statusCode(409);
        List<SpecRejected.Violation> rejected = submitAndAwaitRejection(spec(squatter, "team-b", pack),
                Map.of("authorization", TestTokens.bearer("bob", "submitter", "team-b")));
        assertEquals("/spec/pack/name", rejected.get(0).pointer());
        assertEquals(Violation.PACK_NAME_TAKEN, rejected.get(0).code());
        assertEquals(0, count("select count(*) from image_spec where name = ?", squatter));
        // The owner keeps using it, under another spec as well.
        submit(TestTokens.bearer("alice", "submitter", "team-a"), spec("second-" + suffix, "team-a", pack)).statusCode(201);
    }

    @Test
    void anIdempotencyKeyIsScopedToItsTeam() throws Exception {
        String key = "deploy-" + suffix;
        String aliceBuild = submitWithKey(TestTokens.bearer("alice", "submitter", "team-a"), key,
                spec("idem-" + suffix, "team-a")).statusCode(201).extract().path("builds[0].id");
        // The same key from another team is another request: accepted on its own, not a 422 with team-a's digest.
        submitWithKey(TestTokens.bearer("bob", "submitter", "team-b"), key, spec("idem-" + suffix, "team-b"))
                .statusCode(201).body("team", equalTo("team-b")).body("builds[0].id", not(equalTo(aliceBuild)));
        submitWithKey(TestTokens.bearer("alice", "submitter", "team-a"), key, spec("idem-" + suffix, "team-a"))
                .statusCode(201).body("builds[0].id", equalTo(aliceBuild));
    }

    private void assertRefusedWithNothingStored(String code, String name, String team, String authorization)
            throws Exception {
        assertEquals(code, submitAndAwaitRejection(spec(name, team), Map.of("authorization", authorization)).get(0).code());
        assertEquals(0, count("select count(*) from image_spec where name = ?", name));
    }

    private List<SpecRejected.Violation> submitAndAwaitRejection(String yaml, Map<String, String> extensions) {
        return submitAndAwaitRejection(UUID.randomUUID().toString(), yaml, extensions);
    }

    private List<SpecRejected.Violation> submitAndAwaitRejection(String id, String yaml, Map<String, String> extensions) {
        sendSubmission(id, yaml, extensions);
        ConsumerRecord<String, String> answer = kafka.awaitRecords(Topics.SPECS_REJECTED, id, 1, TIMEOUT).get(0);
        return EventJson.read(answer.value(), SpecRejected.class).violations();
    }

    private void sendSubmission(String id, String yaml, Map<String, String> extensions) {
        kafka.sendCloudEvent(Topics.SPECS_SUBMITTED, id, EventTypes.SPEC_SUBMITTED, id, "application/yaml", yaml,
                extensions);
    }

    /** The extension attributes of an event of a registered source. */
    private static Map<String, String> signedBy(String source, String time, String signature) {
        return Map.of("source", source, "time", time, "signature", signature);
    }

    private static String sign(String id, String time, String yaml) {
        return "hmac-sha256=" + Base64.getEncoder().encodeToString(HookResource.hmacSha256(SIGNER_SECRET,
                signedBytes(id, SIGNER_SOURCE, time, yaml)));
    }

    /** What a registered source signs, as README documents it. */
    private static byte[] signedBytes(String id, String source, String time, String yaml) {
        return (id + "\n" + source + "\n" + EventTypes.SPEC_SUBMITTED + "\n" + time + "\n" + yaml)
                .getBytes(StandardCharsets.UTF_8);
    }

    private static String ed25519(byte[] signed) throws Exception {
        var key = java.security.KeyFactory.getInstance("Ed25519")
                .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(Base64.getDecoder().decode(ED25519_PRIVATE_KEY)));
        var signature = java.security.Signature.getInstance("Ed25519");
        signature.initSign(key);
        signature.update(signed);
        return "ed25519=" + Base64.getEncoder().encodeToString(signature.sign());
    }

    private static ValidatableResponse submit(String authorization, String yaml) {
        return given().header("Authorization", authorization).contentType("application/yaml")
                .body(yaml.getBytes(StandardCharsets.UTF_8)).post("/api/v1/specs").then();
    }

    private static ValidatableResponse submitWithKey(String authorization, String key, String yaml) {
        return given().header("Authorization", authorization).header("Idempotency-Key", key)
                .contentType("application/yaml").body(yaml.getBytes(StandardCharsets.UTF_8)).post("/api/v1/specs").then();
    }

    private static String spec(String name, String team) throws Exception {
        return spec(name, team, "pack-" + team);
    }

    private static String spec(String name, String team, String pack) throws Exception {
        return Files.readString(Path.of("..", "examples", "debian-12-qemu.yaml"))
                .replace("name: debian-12-node", "name: " + name).replace("team: platform", "team: " + team)
                .replace("name: byoos-debian-12\n", "name: " + pack + "\n");
    }

    private void awaitCount(String sql, String parameter, long expected) {
        org.awaitility.Awaitility.await(sql + " = " + expected).atMost(TIMEOUT).pollInterval(Duration.ofMillis(100))
                .until(() -> count(sql, parameter) == expected);
    }

    private long count(String sql, String parameter) throws Exception {
        try (Connection connection = database.getConnection();
                PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, parameter);
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }
}
