package dev.byoos.artifact.messaging;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
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
 * Kafka goes away after a completed build was taken, for longer than the announcement's timeout
 * (%test: 10 s): the artifact is stored, and its announcement waits for Kafka, readiness naming
 * it, instead of failing the build.completed into the dead-letter topic (which left an artifact
 * stored and never announced). Once Kafka is back the artifact is announced, and the consumer goes
 * on with the next build.
 */
@QuarkusTest
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "database", value = "artifact_service"))
@QuarkusTestResource(SigningKeysResource.class)
class KafkaOutageTest {

    static final Duration TIMEOUT = Duration.ofMinutes(2);

    @Inject
    DataSource database;

    @Test
    void anArtifactStoredWhileKafkaIsAwayIsAnnouncedWhenItReturnsAndNeverDeadLettered() throws Exception {
        try (StagedBuilds builds = new StagedBuilds()) {
            byte[] image = StagedBuilds.uniqueContent("kafka-outage");
            BuildCompleted completed = builds.stage("platform", "node", "qcow2", image, Extras.NONE);
            String buildId = completed.build().buildId();

            // S3 away first holds the build in the consumer, so that Kafka can go while it is there.
            AutoCloseable s3Outage = TestStack.s3Outage();
            try (s3Outage) {
                builds.send(completed);
                builds.awaitWaitingNotices(buildId, "s3");
                try (AutoCloseable kafkaOutage = TestStack.outage(TestStack.Server.KAFKA)) {
                    s3Outage.close();
                    await("readiness naming the wait for Kafka").atMost(TIMEOUT).pollInterval(Duration.ofMillis(200))
                            .until(() -> given().get("/q/health/ready").then().extract().<Integer>path(
                                    "checks.find { it.name == '" + OutageReadiness.NAME + "' }.data.waitingFor-kafka"),
                                    waiting -> waiting != null && waiting > 0);
                    assertEquals(1, count("select count(*) from artifact where build_id = '" + buildId + "'"),
                            "stored while its announcement waits");
                }
            }

            ArtifactStored stored = builds.awaitStored(buildId, 1, TIMEOUT).get(0);
            assertEquals(StagedBuilds.sha256(image), builds.sha256Of(stored.bucket(), stored.key()));
            assertTrue(builds.kafka.recordsWithin(Topics.deadLetter(Topics.BUILDS_COMPLETED), buildId,
                    Duration.ofSeconds(1)).isEmpty(), "no dead letter for an outage");

            BuildCompleted next = builds.stage("platform", "node", "qcow2", StagedBuilds.uniqueContent("after-kafka"),
                    Extras.NONE);
            builds.send(next);
            builds.awaitStored(next.build().buildId(), 1, TIMEOUT);
            await("ready again").atMost(TIMEOUT).pollInterval(Duration.ofMillis(200))
                    .until(() -> given().get("/q/health/ready").statusCode() == 200);
        }
    }

    private long count(String sql) throws Exception {
        return Rows.count(database, sql);
    }
}
