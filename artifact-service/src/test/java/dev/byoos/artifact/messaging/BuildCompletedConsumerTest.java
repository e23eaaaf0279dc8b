package dev.byoos.artifact.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.KeyFactory;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.StatObjectArgs;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.byoos.artifact.Rows;
import dev.byoos.artifact.SigningKeysResource;
import dev.byoos.artifact.StagedBuilds;
import dev.byoos.artifact.StagedBuilds.Extras;
import dev.byoos.artifact.observability.ArtifactMetrics;
import dev.byoos.contract.ArtifactStored;
import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildFailed;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.Topics;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.KafkaTestClient;
import dev.byoos.testsupport.PrometheusMetrics;
import dev.byoos.testsupport.TestTokens;

/** artifact-service's consumer against real Kafka, S3 and PostgreSQL. */
@QuarkusTest
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "database", value = "artifact_service"))
@QuarkusTestResource(SigningKeysResource.class)
class BuildCompletedConsumerTest {

    @Inject
    DataSource database;

    @TestHTTPResource("/q/metrics")
    URI metricsUrl;

    StagedBuilds builds;

    @BeforeEach
    void connect() {
        builds = new StagedBuilds();
    }

    @AfterEach
    void disconnect() {
        builds.close();
    }

    @Test
    void verifiesPromotesToTheContentAddressAndRecordsOnceEvenWhenRedelivered() throws Exception {
        byte[] content = StagedBuilds.uniqueContent("image");
        BuildCompleted completed = builds.stage("platform", "node", "qcow2", content, Extras.NONE);
        String buildId = completed.build().buildId();
        builds.send(completed);
        ConsumerRecord<String, String> first = builds.kafka.awaitRecords(Topics.ARTIFACTS_STORED, buildId, 1,
                StagedBuilds.TIMEOUT).get(0);
        ArtifactStored stored = EventJson.read(first.value(), ArtifactStored.class);
        assertEquals("sha256/" + StagedBuilds.sha256(content), stored.key());
        assertEquals(builds.endpoints.s3ArtifactsBucket(), stored.bucket());
        assertEquals(StagedBuilds.sha256(content), builds.sha256Of(stored.bucket(), stored.key()));

        builds.send(completed);
        List<ConsumerRecord<String, String>> both = builds.kafka.awaitRecords(Topics.ARTIFACTS_STORED, buildId, 2,
                StagedBuilds.TIMEOUT);
        assertEquals(KafkaTestClient.header(first, "ce_id"), KafkaTestClient.header(both.get(1), "ce_id"));
        assertEquals(first.value(), both.get(1).value());
        assertEquals(1, count("select count(*) from artifact where build_id = '" + buildId + "'"));
    }

    @Test
    void storesSbomAndLogBesideTheImageSignsItAndCarriesEverythingOn() throws Exception {
        byte[] sbom = StagedBuilds.uniqueContent("{\"bomFormat\":\"CycloneDX\"}");
        byte[] log = StagedBuilds.uniqueContent("build log line");
        var provenance = new BuildCompleted.Provenance("0.1.0", "2026-11-25T10:00:00Z", "2026-11-25T10:05:00.5Z",
                List.of(new BuildCompleted.Input("base:local/debian-12", "ab".repeat(32), null),
                        new BuildCompleted.Input("file:/etc/motd", "cd".repeat(32), "https://example.org/motd")));
        var cloudImages = List.of(new BuildCompleted.CloudImage("aws", "eu-west-1", "ami-0f4804aff4cf9c5a2"));
        var ociImage = new BuildCompleted.OciImage("127.0.0.1:5000/byoos/edge/p:1.0.0", "sha256:" + "ef".repeat(32));
        BuildCompleted completed = builds.stage("platform", "node", "qcow2", StagedBuilds.uniqueContent("with extras"),
                new Extras(sbom, log, provenance, cloudImages, ociImage));

        ArtifactStored stored = builds.store(completed);

        assertEquals("sha256/" + StagedBuilds.sha256(sbom), stored.sbom().key());
        assertEquals(StagedBuilds.sha256(sbom), builds.sha256Of(stored.sbom().bucket(), stored.sbom().key()));
        assertEquals(log.length, stored.log().size());
        assertEquals(StagedBuilds.sha256(log), builds.sha256Of(stored.log().bucket(), stored.log().key()));
        assertEquals(cloudImages, stored.cloudImages());
        assertEquals(ociImage, stored.ociImage());
        assertEquals("cosign-blob", stored.signature().format());
        assertTrue(signatureVerifies(stored), "ECDSA-SHA256 over the image verifies with the configured public key");

        Map<String, Object> row = row("select builder_version, build_finished_at, inputs, cloud_images, sbom_sha256, "
                + "log_key, target_format, signature_key_id from artifact where build_id = '"
                + completed.build().buildId() + "'");
        assertEquals("0.1.0", row.get("builder_version"));
        assertNotNull(row.get("build_finished_at"));
        assertTrue(row.get("inputs").toString().contains("https://example.org/motd"), row.get("inputs").toString());
        assertTrue(row.get("cloud_images").toString().contains("ami-0f4804aff4cf9c5a2"));
        assertEquals(StagedBuilds.sha256(sbom), row.get("sbom_sha256"));
        assertEquals(stored.log().key(), row.get("log_key"));
        assertEquals("qcow2", row.get("target_format"));
        assertEquals(stored.signature().keyId(), row.get("signature_key_id"));
    }

    @Test
    void identicalImagesFromTwoBuildsAreStoredOnce() throws Exception {
        byte[] content = StagedBuilds.uniqueContent("twice");
        ArtifactStored first = builds.store(builds.stage("platform", "node", "qcow2", content, Extras.NONE));
        // Mark the stored object: copying over it again would replace it with the staged object's
        // metadata, losing the mark.
        builds.s3.putObject(PutObjectArgs.builder().bucket(first.bucket()).object(first.key())
                .stream(new ByteArrayInputStream(content), content.length, -1)
                .userMetadata(Map.of("stored-by", "first-build")).build());

        ArtifactStored second = builds.store(builds.stage("team-b", "other", "qcow2", content, Extras.NONE));

        assertEquals(first.key(), second.key());
        assertEquals("first-build", builds.s3.statObject(StatObjectArgs.builder().bucket(second.bucket())
                .object(second.key()).build()).userMetadata().get("stored-by"));
        assertEquals(2, count("select count(*) from artifact where sha256 = '" + first.sha256() + "'"));
    }

    @Test
    void theStagedObjectsAreRemovedOnceRecordedAndNothingAnotherAttemptOrAnIdenticalBuildNeeds() throws Exception {
        byte[] content = StagedBuilds.uniqueContent("staged and removed");
        BuildCompleted first = builds.stage("platform", "node", "qcow2", content,
                new Extras(StagedBuilds.uniqueContent("sbom"), StagedBuilds.uniqueContent("log"), null, null, null));
        // Another attempt of the same build, still staging under its own keys.
        String otherAttempt = "builds/" + first.build().buildId() + "/attempt-2/disk.qcow2";
        builds.s3.putObject(PutObjectArgs.builder().bucket(first.image().bucket()).object(otherAttempt)
                .stream(new ByteArrayInputStream(content), content.length, -1).build());

        ArtifactStored stored = builds.store(first);

        assertFalse(staged(first.image()), "the image's staged copy is removed once promoted");
        assertFalse(staged(first.sbom()));
        assertFalse(staged(first.log()));
        assertTrue(exists(first.image().bucket(), otherAttempt), "another attempt's object is not this one's to remove");
        // An identical build finds the promoted copy, not the removed staged one, and loses nothing.
        BuildCompleted twin = builds.stage("team-b", "twin", "qcow2", content, Extras.NONE);
        ArtifactStored second = builds.store(twin);
        assertEquals(stored.key(), second.key());
        assertEquals(StagedBuilds.sha256(content), builds.sha256Of(second.bucket(), second.key()));
        assertFalse(staged(twin.image()));
    }

    /**
     * Another consumer (a redelivery during a rebalance) records the build after this one looked it up
     * and before its insert: the build's unique id refuses the second row, and the first one stands
     * and is announced. The other consumer's row is a committed placeholder the insert waited for.
     */
    @Test
    void aBuildRecordedByAnotherConsumerBetweenTheLookupAndTheInsertIsAnnouncedAsRecordedAndStoredOnce()
            throws Exception {
        BuildCompleted completed = builds.stage("platform", "raced", "qcow2",
                StagedBuilds.uniqueContent("recorded twice"), Extras.NONE);
        String buildId = completed.build().buildId();
        try (Connection other = database.getConnection()) {
            other.setAutoCommit(false);
            other.createStatement().executeUpdate(Rows.placeholderArtifact(buildId));
            builds.send(completed);
            Rows.awaitBlocked(database, "insert into artifact");
            other.commit();
        }

        ArtifactStored stored = builds.awaitStored(buildId, 1, StagedBuilds.TIMEOUT).get(0);
        assertEquals("placeholder", stored.key(), "the row recorded first is the one announced");
        assertEquals(1, count("select count(*) from artifact where build_id = '" + buildId + "'"));
        assertFalse(staged(completed.image()), "the staged copy is removed all the same");
    }

    private boolean staged(BuildCompleted.StagedObject object) throws Exception {
        return exists(object.bucket(), object.key());
    }

    private boolean exists(String bucket, String key) throws Exception {
        try {
            builds.s3.statObject(StatObjectArgs.builder().bucket(bucket).object(key).build());
            return true;
        } catch (io.minio.errors.ErrorResponseException e) {
            assertEquals("NoSuchKey", e.errorResponse().code(), e::getMessage);
            return false;
        }
    }

    @Test
    void countsStoredRejectedAndRedeliveredArtifactsWithTheBytesAndTimeOfEachPromotion() throws Exception {
        String team = "metrics-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, String> artifact = Map.of("team", team, "cloud", "qemu", "format", "qcow2");
        byte[] content = StagedBuilds.uniqueContent("metrics");
        BuildCompleted completed = builds.stage(team, "node", "qcow2", content, Extras.NONE);
        builds.send(completed);
        builds.send(completed);
        BuildCompleted honest = builds.stage(team, "node", "qcow2", StagedBuilds.uniqueContent("tampered"),
                Extras.NONE);
        builds.send(new BuildCompleted(honest.build(), new BuildCompleted.StagedObject(honest.image().bucket(),
                honest.image().key(), "00".repeat(32), honest.image().size(), "qcow2"), "native/test", 1));

        awaitArtifacts(team, ArtifactMetrics.STORED, 1);
        awaitArtifacts(team, ArtifactMetrics.ALREADY_STORED, 1);
        awaitArtifacts(team, ArtifactMetrics.REJECTED, 1);
        PrometheusMetrics metrics = PrometheusMetrics.scrape(metricsUrl);
        assertEquals(content.length, metrics.sum("byoos_artifact_stored_bytes_total", artifact));
        assertEquals(1, metrics.sum("byoos_artifact_promotion_seconds_count", artifact));
    }

    private void awaitArtifacts(String team, String outcome, double expected) {
        PrometheusMetrics.awaitSum(metricsUrl, "byoos_artifacts_total", Map.of("team", team, "outcome", outcome),
                expected, StagedBuilds.TIMEOUT);
    }

    @Test
    void aChecksumMismatchFailsTheBuildAndStoresNothing() throws Exception {
        BuildCompleted honest = builds.stage("platform", "node", "qcow2", "tampered".getBytes(), Extras.NONE);
        BuildCompleted lying = new BuildCompleted(honest.build(), new BuildCompleted.StagedObject(honest.image().bucket(),
                honest.image().key(), "00".repeat(32), honest.image().size(), "qcow2"), "native/test", 1);
        builds.send(lying);
        BuildFailed failed = awaitFailure(lying.build().buildId());
        assertEquals("CHECKSUM_MISMATCH", failed.code());
        assertEquals("artifact", failed.stage());
        assertEquals(BuildFailed.BUILDER, failed.category());
        assertEquals(0, count("select count(*) from artifact where build_id = '" + lying.build().buildId() + "'"));
    }

    @Test
    void anSbomThatDiffersFromWhatTheBuildReportedFailsTheBuildAndNothingIsPromoted() throws Exception {
        byte[] image = StagedBuilds.uniqueContent("image");
        BuildCompleted honest = builds.stage("platform", "node", "qcow2", image,
                new Extras("{}".getBytes(StandardCharsets.UTF_8), null, null, null, null));
        BuildCompleted.StagedObject sbom = honest.sbom();
        BuildCompleted lying = new BuildCompleted(honest.build(), honest.image(), "native/test", 1, null,
                new BuildCompleted.StagedObject(sbom.bucket(), sbom.key(), sbom.sha256(), sbom.size() + 1, sbom.format()),
                null, null, null, null);
        builds.send(lying);
        BuildFailed failed = awaitFailure(lying.build().buildId());
        assertEquals("SIZE_MISMATCH", failed.code());
        assertTrue(failed.reason().contains("SBOM"), failed.reason());
        assertEquals(0, count("select count(*) from artifact where build_id = '" + lying.build().buildId() + "'"));
        assertFalse(exists(builds.endpoints.s3ArtifactsBucket(), "sha256/" + StagedBuilds.sha256(image)),
                "the image, which did match, is not left at a content address no artifact points at");
    }

    @Test
    void aBuildWhoseLogIsGoneFailsAndLeavesNothingAtAContentAddress() throws Exception {
        byte[] image = StagedBuilds.uniqueContent("image");
        byte[] sbom = StagedBuilds.uniqueContent("{\"bomFormat\":\"CycloneDX\"}");
        BuildCompleted completed = builds.stage("platform", "node", "qcow2", image,
                new Extras(sbom, StagedBuilds.uniqueContent("log"), null, null, null));
        builds.s3.removeObject(RemoveObjectArgs.builder().bucket(completed.log().bucket()).object(completed.log().key())
                .build());

        builds.send(completed);

        BuildFailed failed = awaitFailure(completed.build().buildId());
        assertEquals("STAGED_OBJECT_MISSING", failed.code());
        assertTrue(failed.reason().contains("build log"), failed.reason());
        assertEquals(0, count("select count(*) from artifact where build_id = '" + completed.build().buildId() + "'"));
        String artifacts = builds.endpoints.s3ArtifactsBucket();
        assertFalse(exists(artifacts, "sha256/" + StagedBuilds.sha256(image)), "the image is not promoted");
        assertFalse(exists(artifacts, "sha256/" + StagedBuilds.sha256(sbom)), "nor the SBOM");
    }

    @Test
    void signsTheProvenanceAsAnSlsaStatementInADsseEnvelopeBesideTheArtifactThatATamperedCopyFails() throws Exception {
        var provenance = new BuildCompleted.Provenance("0.4.0", "2026-11-25T10:00:00Z", "2026-11-25T10:05:00Z",
                List.of(new BuildCompleted.Input("base:debootstrap/bookworm", "ab".repeat(32), null),
                        new BuildCompleted.Input("file:/etc/motd", "cd".repeat(32), "https://example.org/motd")));
        BuildCompleted completed = builds.stage("platform", "node", "qcow2", StagedBuilds.uniqueContent("attested"),
                new Extras(null, null, provenance, null, null));

        ArtifactStored stored = builds.store(completed);

        assertNotNull(stored.attestation(), "artifact.stored references the signed provenance");
        byte[] envelopeBytes;
        try (var in = builds.s3.getObject(io.minio.GetObjectArgs.builder().bucket(stored.attestation().bucket())
                .object(stored.attestation().key()).build())) {
            envelopeBytes = in.readAllBytes();
        }
        assertEquals(stored.attestation().sha256(), StagedBuilds.sha256(envelopeBytes));
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        var envelope = json.readTree(envelopeBytes);
        assertEquals("application/vnd.in-toto+json", envelope.path("payloadType").asText());
        byte[] payload = Base64.getDecoder().decode(envelope.path("payload").asText());
        byte[] signature = Base64.getDecoder().decode(envelope.path("signatures").path(0).path("sig").asText());
        assertTrue(dsseVerifies(payload, signature), "the envelope's signature verifies with the public key");
        assertTrue(opensslVerifies(pae(payload), signature), "and with openssl on the extracted PAE and signature");

        var statement = json.readTree(payload);
        assertEquals("https://in-toto.io/Statement/v1", statement.path("_type").asText());
        assertEquals(stored.sha256(), statement.path("subject").path(0).path("digest").path("sha256").asText());
        assertEquals("https://slsa.dev/provenance/v1", statement.path("predicateType").asText());
        var definition = statement.path("predicate").path("buildDefinition");
        assertEquals(completed.build().specDigest(),
                definition.path("externalParameters").path("spec").path("digest").path("sha256").asText());
        assertEquals("base:debootstrap/bookworm", definition.path("resolvedDependencies").path(0).path("name").asText());
        assertEquals("cd".repeat(32), definition.path("resolvedDependencies").path(1).path("digest").path("sha256")
                .asText());
        assertEquals("https://byoos.dev/build-worker/native/test",
                statement.path("predicate").path("runDetails").path("builder").path("id").asText());

        byte[] tampered = new String(payload, StandardCharsets.UTF_8).replace(stored.sha256(), "00".repeat(32))
                .getBytes(StandardCharsets.UTF_8);
        assertFalse(dsseVerifies(tampered, signature), "a statement about another image does not verify");
        assertFalse(opensslVerifies(pae(tampered), signature), "nor with openssl");
    }

    /** DSSE v1: the signature covers "DSSEv1 <len(type)> <type> <len(payload)> <payload>". */
    private static byte[] pae(byte[] payload) {
        String type = "application/vnd.in-toto+json";
        byte[] head = ("DSSEv1 " + type.length() + " " + type + " " + payload.length + " ").getBytes(StandardCharsets.UTF_8);
        byte[] pae = java.util.Arrays.copyOf(head, head.length + payload.length);
        System.arraycopy(payload, 0, pae, head.length, payload.length);
        return pae;
    }

    private static boolean dsseVerifies(byte[] payload, byte[] signature) throws Exception {
        String pem = Files.readString(TestTokens.signingKeys().publicKeyFile());
        Signature verifier = Signature.getInstance("SHA256withECDSA");
        verifier.initVerify(KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(
                Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", "")))));
        verifier.update(pae(payload));
        return verifier.verify(signature);
    }

    private static boolean opensslVerifies(byte[] message, byte[] signature) throws Exception {
        java.nio.file.Path dir = Files.createTempDirectory("dsse");
        java.nio.file.Path messageFile = Files.write(dir.resolve("pae"), message);
        java.nio.file.Path signatureFile = Files.write(dir.resolve("sig"), signature);
        Process openssl = new ProcessBuilder("openssl", "dgst", "-sha256", "-verify",
                TestTokens.signingKeys().publicKeyFile().toAbsolutePath().toString(), "-signature",
                signatureFile.toString(), messageFile.toString()).redirectErrorStream(true).start();
        String output = new String(openssl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return openssl.waitFor() == 0 && output.contains("Verified OK");
    }

    @Test
    void malformedEventsAreDeadLetteredAndTheNextEventStillFlows() throws Exception {
        Map<String, String> completions = Map.of("topic", Topics.BUILDS_COMPLETED);
        double deadLettersBefore = PrometheusMetrics.scrape(metricsUrl).sum("byoos_dead_letters_total", completions);
        String poisonKey = UUID.randomUUID().toString();
        builds.kafka.sendCloudEvent(Topics.BUILDS_COMPLETED, poisonKey, EventTypes.BUILD_COMPLETED,
                UUID.randomUUID().toString(), "[]");
        builds.kafka.awaitRecords(Topics.deadLetter(Topics.BUILDS_COMPLETED), poisonKey, 1, StagedBuilds.TIMEOUT);
        PrometheusMetrics.awaitSum(metricsUrl, "byoos_dead_letters_total", completions, deadLettersBefore + 1,
                StagedBuilds.TIMEOUT);

        builds.store(builds.stage("platform", "node", "qcow2", StagedBuilds.uniqueContent("after the poison"),
                Extras.NONE));
    }

    @Test
    void isReadyOnlyWithItsDependenciesReachable() {
        io.restassured.RestAssured.given().get("/q/health/ready").then()
                .statusCode(200)
                .body("checks.find { it.name == 's3-buckets' }.status", org.hamcrest.Matchers.equalTo("UP"));
    }

    private BuildFailed awaitFailure(String buildId) {
        return EventJson.read(builds.kafka.awaitRecords(Topics.BUILDS_FAILED, buildId, 1, StagedBuilds.TIMEOUT).get(0)
                .value(), BuildFailed.class);
    }

    /** Checks the signature as any ECDSA verifier would: SHA256withECDSA over the image's bytes. */
    private boolean signatureVerifies(ArtifactStored stored) throws Exception {
        String pem = Files.readString(TestTokens.signingKeys().publicKeyFile());
        byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
        Signature verifier = Signature.getInstance("SHA256withECDSA");
        verifier.initVerify(KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(der)));
        try (var in = builds.s3.getObject(io.minio.GetObjectArgs.builder().bucket(stored.bucket()).object(stored.key())
                .build())) {
            verifier.update(in.readAllBytes());
        }
        return verifier.verify(Base64.getDecoder().decode(stored.signature().value()))
                && stored.signature().keyId().equals(HexFormat.of().formatHex(
                        java.security.MessageDigest.getInstance("SHA-256").digest(der)));
    }

    private long count(String sql) throws Exception {
        return Rows.count(database, sql);
    }

    private Map<String, Object> row(String sql) throws Exception {
        try (Connection connection = database.getConnection();
                ResultSet rows = connection.createStatement().executeQuery(sql)) {
            assertTrue(rows.next(), "no row for " + sql);
            Map<String, Object> row = new java.util.HashMap<>();
            for (int column = 1; column <= rows.getMetaData().getColumnCount(); column++) {
                row.put(rows.getMetaData().getColumnName(column), rows.getObject(column));
            }
            return row;
        }
    }
}
