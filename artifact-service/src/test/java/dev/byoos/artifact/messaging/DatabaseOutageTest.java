package dev.byoos.artifact.messaging;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.greaterThan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;

import dev.byoos.artifact.PostgresOutage;
import dev.byoos.artifact.SigningKeysResource;
import dev.byoos.artifact.StagedBuilds;
import dev.byoos.artifact.StagedBuilds.Extras;
import dev.byoos.artifact.health.OutageReadiness;
import dev.byoos.contract.ArtifactStored;
import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.Topics;
import dev.byoos.testsupport.DevStackResource;

/**
 * The stack's PostgreSQL really stops (sessions ended, connections refused) and starts again: a
 * build requested and completed meanwhile waits, says what for, takes readiness down with it, and is
 * recorded once when the database returns; nothing is dead-lettered or failed.
 */
@QuarkusTest
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "database", value = "artifact_service"))
@QuarkusTestResource(SigningKeysResource.class)
class DatabaseOutageTest {

    private static final String WAITING_FOR_DATABASE = "checks.find { it.name == '" + OutageReadiness.NAME
            + "' }.data.waitingFor-database";

    @Test
    void aBuildWaitsOutADatabaseOutageSaysSoDropsReadinessAndIsRecordedOnceWhenItReturns() throws Exception {
        try (StagedBuilds builds = new StagedBuilds()) {
            byte[] image = StagedBuilds.uniqueContent("database outage");
            BuildCompleted completed = builds.stage("platform", "node", "qcow2", image, Extras.NONE);
            String buildId = completed.build().buildId();

            try (PostgresOutage outage = PostgresOutage.begin()) {
                builds.send(completed);
                builds.awaitWaitingNotices(buildId, "database");
                given().get("/q/health/ready").then().statusCode(503).body(WAITING_FOR_DATABASE, greaterThan(0));
            }

            ArtifactStored stored = builds.awaitStored(buildId, 1, Duration.ofMinutes(2)).get(0);
            assertEquals(StagedBuilds.sha256(image), builds.sha256Of(stored.bucket(), stored.key()));
            assertEquals(1, PostgresOutage.count("select count(*) from artifact where build_id = '" + buildId + "'"));
            assertEquals(1, PostgresOutage.count("select count(*) from build_record where build_id = '" + buildId + "'"));
            // Ready again once nothing waits (the datasource's own check included).
            await("readiness back up").atMost(StagedBuilds.TIMEOUT).pollInterval(Duration.ofMillis(200))
                    .until(() -> given().get("/q/health/ready").statusCode() == 200);
            assertTrue(builds.kafka.recordsWithin(Topics.BUILDS_FAILED, buildId, Duration.ofSeconds(1)).isEmpty());
            assertTrue(builds.kafka.recordsWithin(Topics.deadLetter(Topics.BUILDS_COMPLETED), buildId,
                    Duration.ofSeconds(1)).isEmpty());
            assertTrue(builds.kafka.recordsWithin(Topics.deadLetter(Topics.BUILDS_REQUESTED), buildId,
                    Duration.ofSeconds(1)).isEmpty());
        }
    }
}
