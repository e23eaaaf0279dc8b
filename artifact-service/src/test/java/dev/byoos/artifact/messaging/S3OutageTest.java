package dev.byoos.artifact.messaging;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.greaterThan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.Test;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;

import dev.byoos.artifact.Rows;
import dev.byoos.artifact.SigningKeysResource;
import dev.byoos.artifact.StagedBuilds;
import dev.byoos.artifact.StagedBuilds.Extras;
import dev.byoos.artifact.health.OutageReadiness;
import dev.byoos.contract.ArtifactStored;
import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.Topics;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.TestStack;

/**
 * The devstack's S3 really goes away (connections refused) and comes back on the same port: a
 * build that completes meanwhile waits, says so (and readiness names what it waits for), and is
 * stored once when S3 returns.
 */
@QuarkusTest
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "database", value = "artifact_service"))
@QuarkusTestResource(SigningKeysResource.class)
class S3OutageTest {

    @Inject
    DataSource database;

    @Test
    void aBuildWaitsOutAnS3OutageSaysSoAndIsStoredOnceWhenS3Returns() throws Exception {
        try (StagedBuilds builds = new StagedBuilds()) {
            byte[] image = StagedBuilds.uniqueContent("outage");
            BuildCompleted completed = builds.stage("platform", "node", "qcow2", image, Extras.NONE);
            String buildId = completed.build().buildId();

            try (AutoCloseable outage = TestStack.s3Outage()) {
                builds.send(completed);
                builds.awaitWaitingNotices(buildId, "s3");
                given().get("/q/health/ready").then().statusCode(503).body("checks.find { it.name == '"
                        + OutageReadiness.NAME + "' }.data.waitingFor-s3", greaterThan(0));
            }

            ArtifactStored stored = builds.awaitStored(buildId, 1, Duration.ofMinutes(2)).get(0);
            assertEquals(StagedBuilds.sha256(image), builds.sha256Of(stored.bucket(), stored.key()));
            assertEquals(1, count("select count(*) from artifact where build_id = '" + buildId + "'"));
            // The outcome was announced only after every failure would have been: none was.
            assertTrue(builds.kafka.recordsWithin(Topics.BUILDS_FAILED, buildId, Duration.ofSeconds(1)).isEmpty());
            assertTrue(builds.kafka.recordsWithin(Topics.deadLetter(Topics.BUILDS_COMPLETED), buildId,
                    Duration.ofSeconds(1)).isEmpty());
        }
    }

    private long count(String sql) throws Exception {
        return Rows.count(database, sql);
    }
}
