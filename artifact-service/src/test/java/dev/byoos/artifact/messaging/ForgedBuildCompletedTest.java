package dev.byoos.artifact.messaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;

import dev.byoos.artifact.Rows;
import dev.byoos.artifact.SigningKeysResource;
import dev.byoos.artifact.StagedBuilds;
import dev.byoos.artifact.StagedBuilds.Extras;
import dev.byoos.artifact.service.UntrustedEventException;
import dev.byoos.contract.ArtifactStored;
import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.Topics;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.PrometheusMetrics;

/**
 * A build.completed is believed only as far as the build's own request grants: a forger who can
 * write the topic cannot get another team's object recorded under their team, an object from another
 * bucket promoted, or a build nobody requested stored. Each forgery is dead-lettered with its reason
 * and counted, and nothing is recorded, signed or announced.
 */
@QuarkusTest
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "database", value = "artifact_service"))
@QuarkusTestResource(SigningKeysResource.class)
class ForgedBuildCompletedTest {

    /** Long enough for the service to have acted on a forgery had it believed it. */
    private static final Duration QUIET = Duration.ofSeconds(3);

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
    void aCopyOfAnotherTeamsCompletionUnderANewBuildIdAndTeamIsRefused() throws Exception {
        ArtifactStored platforms = builds.store(builds.stage("platform", "node", "qcow2",
                StagedBuilds.uniqueContent("platform's image"), Extras.NONE));
        // The forger requests a build of their own, then claims platform's staged image for it.
        BuildCompleted original = builds.stage("platform", "node", "qcow2", StagedBuilds.uniqueContent("again"),
                Extras.NONE);
        String forgedId = UUID.randomUUID().toString();
        BuildCoordinates intruders = StagedBuilds.coordinates(forgedId, "intruders", "node", "qcow2");
        builds.request(intruders);
        BuildCompleted forged = withBuild(original, intruders);

        assertRefused(forged, UntrustedEventException.KEY_OUTSIDE_BUILD_PREFIX);
        assertTrue(platforms.key().startsWith("sha256/"));
    }

    @Test
    void aCompletionClaimingAnotherTeamThanItsRequestIsRefused() throws Exception {
        BuildCompleted staged = builds.stage("platform", "node", "qcow2", StagedBuilds.uniqueContent("claimed"),
                Extras.NONE);
        builds.request(staged.build());
        BuildCoordinates b = staged.build();
        BuildCompleted forged = withBuild(staged, new BuildCoordinates(b.buildId(), "intruders", b.specName(),
                b.specVersion(), b.specDigest(), b.os(), b.kubernetesVersion(), b.target(), b.pack()));

        assertRefused(forged, UntrustedEventException.BUILD_CONTRADICTS_RECORD);
    }

    @Test
    void aCompletionNamingAnotherBucketIsRefused() throws Exception {
        BuildCompleted staged = builds.stage("platform", "node", "qcow2", StagedBuilds.uniqueContent("elsewhere"),
                Extras.NONE);
        builds.request(staged.build());
        ArtifactStored stored = builds.store(builds.stage("platform", "node", "qcow2",
                StagedBuilds.uniqueContent("already an artifact"), Extras.NONE));
        // The object exists and its digest is right: only its bucket gives it away.
        BuildCompleted forged = new BuildCompleted(staged.build(), new BuildCompleted.StagedObject(stored.bucket(),
                "builds/" + staged.build().buildId() + "/../../" + stored.key(), stored.sha256(), stored.size(), "qcow2"),
                "native/test", 1);

        assertRefused(forged, UntrustedEventException.FOREIGN_BUCKET);
    }

    @Test
    void aCompletionOfABuildNobodyRequestedIsRefused() throws Exception {
        BuildCompleted unrequested = builds.stage("platform", "node", "qcow2", StagedBuilds.uniqueContent("unknown"),
                Extras.NONE);

        assertRefused(unrequested, UntrustedEventException.UNKNOWN_BUILD);
    }

    @Test
    void aCompletionNamingAnotherPacksEdgeImageIsRefused() throws Exception {
        BuildCompleted staged = builds.stage("platform", "node", "qcow2", StagedBuilds.uniqueContent("edge"),
                new Extras(null, null, null, null,
                        new BuildCompleted.OciImage("127.0.0.1:5000/byoos/edge/someone-elses:1.0.0",
                                "sha256:" + "ef".repeat(32))));
        builds.request(staged.build());

        assertRefused(staged, UntrustedEventException.FOREIGN_EDGE_IMAGE);
    }

    private void assertRefused(BuildCompleted forged, String reason) throws Exception {
        Map<String, String> tags = Map.of("reason", reason);
        String buildId = forged.build().buildId();
        double refusedBefore = PrometheusMetrics.scrape(metricsUrl).sum("byoos_artifact_events_refused_total", tags);

        builds.sendCompletedOnly(forged);

        ConsumerRecord<String, String> deadLetter = builds.kafka.awaitRecords(
                Topics.deadLetter(Topics.BUILDS_COMPLETED), buildId, 1, StagedBuilds.TIMEOUT).get(0);
        String why = new String(deadLetter.headers().lastHeader("dead-letter-reason").value(), StandardCharsets.UTF_8);
        assertTrue(why.contains(reason), why);
        PrometheusMetrics.awaitSum(metricsUrl, "byoos_artifact_events_refused_total", tags, refusedBefore + 1,
                StagedBuilds.TIMEOUT);
        assertEquals(0, Rows.count(database, "select count(*) from artifact where build_id = '" + buildId + "'"));
        assertFalse(builds.kafka.recordsWithin(Topics.ARTIFACTS_STORED, buildId, QUIET).size() > 0,
                "nothing is announced for a refused event");
        assertTrue(builds.kafka.recordsWithin(Topics.BUILDS_FAILED, buildId, QUIET).isEmpty(),
                "a forged event fails no build: it is not the build's word");
    }

    private static BuildCompleted withBuild(BuildCompleted event, BuildCoordinates build) {
        return new BuildCompleted(build, event.image(), event.builder(), event.durationMillis(), event.bootTest(),
                event.sbom(), event.log(), event.provenance(), event.cloudImages(), event.ociImage());
    }
}
