package dev.byoos.artifact.service;

import static io.restassured.RestAssured.given;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import jakarta.inject.Inject;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.minio.StatObjectArgs;
import io.minio.errors.ErrorResponseException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;

import dev.byoos.artifact.Rows;
import dev.byoos.artifact.SigningKeysResource;
import dev.byoos.artifact.StagedBuilds;
import dev.byoos.artifact.StagedBuilds.Extras;
import dev.byoos.contract.ArtifactStored;
import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.PackPublished;
import dev.byoos.contract.PackRetired;
import dev.byoos.contract.Topics;
import dev.byoos.testsupport.DevStackResource;
import dev.byoos.testsupport.TestTokens;

/**
 * Retention on the real service, database and S3 (test configuration: keep the newest 2 per spec
 * and target, grace period 1 day; rows are aged in the database to stand in for time passing).
 */
@QuarkusTest
@QuarkusTestResource(value = DevStackResource.class, initArgs = @ResourceArg(name = "database", value = "artifact_service"))
@QuarkusTestResource(SigningKeysResource.class)
class RetentionTest {

    static final String ADMIN = TestTokens.bearer("root", "admin");
    static final String VIEWER = TestTokens.bearer("carol", "viewer", "team-a");
    static final String PACK_MANIFEST = "sha256:" + "ab".repeat(32);

    @Inject
    DataSource database;

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
    void keepsTheNewestPerSpecAndTargetWhatPacksReferenceAndSharedObjectsAndReportsBeforeDeleting() throws Exception {
        String spec = "retention-" + UUID.randomUUID().toString().substring(0, 8);
        byte[] shared = StagedBuilds.uniqueContent("shared");
        List<ArtifactStored> versions = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            byte[] content = i == 1 ? shared : StagedBuilds.uniqueContent("version " + i);
            versions.add(builds.store(builds.stage("team-a", spec, "qcow2", content, Extras.NONE)));
            // Oldest first: version 0 is ten days old, version 4 six.
            execute("update artifact set created_at = now() - interval '" + (10 - i) + " days' where build_id = '"
                    + versions.get(i).build().buildId() + "'");
        }
        // A recent artifact of another spec with version 1's bytes: that object must stay.
        builds.store(builds.stage("team-a", spec + "-other", "qcow2", shared, Extras.NONE));
        publishPack(versions.get(0));
        awaitPackReference(versions.get(0).build().buildId());

        given().header("Authorization", VIEWER).get("/api/v1/retention/plan").then().statusCode(403)
                .contentType("application/problem+json");
        given().header("Authorization", VIEWER).post("/api/v1/retention/runs").then().statusCode(403);

        JsonPath plan = given().header("Authorization", ADMIN).get("/api/v1/retention/plan").then().statusCode(200)
                .body("dryRun", equalTo(true)).body("keepLast", equalTo(2)).extract().jsonPath();
        Set<String> expected = Set.of(versions.get(1).build().buildId(), versions.get(2).build().buildId());
        assertEquals(expected, buildsOf(plan, spec));
        assertTrue(plan.getList("objects").contains(versions.get(2).key()));
        assertFalse(plan.getList("objects").contains(versions.get(1).key()), "shared with a newer artifact");
        assertEquals(5, count("select count(*) from artifact where spec_name = '" + spec + "'"), "a dry run deletes nothing");
        assertTrue(exists(versions.get(2)));

        JsonPath run = given().header("Authorization", ADMIN).post("/api/v1/retention/runs").then().statusCode(200)
                .body("dryRun", equalTo(false)).body("failedObjects.size()", equalTo(0)).extract().jsonPath();
        assertEquals(expected, buildsOf(run, spec));
        assertEquals(Set.of(versions.get(0).build().buildId(), versions.get(3).build().buildId(),
                versions.get(4).build().buildId()), remainingBuilds(spec));
        assertFalse(exists(versions.get(2)));
        assertTrue(exists(versions.get(1)), "the other spec's artifact still needs it");
        assertTrue(exists(versions.get(0)), "a published pack references it");
    }

    @Test
    void rowsWhoseJsonListsCannotBeReadAreRetainedLikeAnyOtherInsteadOfFailingTheRun() throws Exception {
        String spec = "retention-json-" + UUID.randomUUID().toString().substring(0, 8);
        List<ArtifactStored> versions = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            versions.add(builds.store(builds.stage("team-b", spec, "qcow2", StagedBuilds.uniqueContent("json " + i),
                    Extras.NONE)));
            execute("update artifact set created_at = now() - interval '" + (10 - i) + " days' where build_id = '"
                    + versions.get(i).build().buildId() + "'");
        }
        // One expired, one kept: each with a list column no reader can parse (a hand edit, a damaged row).
        execute("update artifact set inputs = '{not json' where build_id = '" + versions.get(0).build().buildId() + "'");
        execute("update artifact set cloud_images = '[1, ' where build_id = '" + versions.get(1).build().buildId() + "'");
        try {
            Set<String> expired = Set.of(versions.get(0).build().buildId());

            JsonPath plan = given().header("Authorization", ADMIN).get("/api/v1/retention/plan").then().statusCode(200)
                    .extract().jsonPath();
            assertEquals(expired, buildsOf(plan, spec));

            JsonPath run = given().header("Authorization", ADMIN).post("/api/v1/retention/runs").then().statusCode(200)
                    .body("failedObjects.size()", equalTo(0)).extract().jsonPath();
            assertEquals(expired, buildsOf(run, spec));
            assertEquals(Set.of(versions.get(1).build().buildId(), versions.get(2).build().buildId()), remainingBuilds(spec));
            assertFalse(exists(versions.get(0)));
            assertTrue(exists(versions.get(1)));
        } finally {
            // Damaged rows must not meet this module's later test classes, whatever happened above.
            try (Connection connection = database.getConnection()) {
                connection.createStatement().executeUpdate("delete from artifact where spec_name = '" + spec + "'");
            }
        }
    }

    /**
     * An identical build found the expired artifact's object and skipped its copy, but had not
     * recorded itself when retention deleted that object: it must copy again, never point at nothing.
     * Its insert is held back by an uncommitted row with its build id until retention has run.
     */
    @Test
    void anIdenticalBuildThatSkippedItsCopyButRecordsAfterRetentionDeletedTheObjectCopiesItAgain() throws Exception {
        String spec = "race-" + UUID.randomUUID().toString().substring(0, 8);
        byte[] shared = StagedBuilds.uniqueContent("raced");
        ArtifactStored expired = storeExpired(spec, shared);
        BuildCompleted twin = builds.stage("team-b", spec + "-twin", "qcow2", shared, Extras.NONE);

        try (Connection blocker = database.getConnection()) {
            blocker.setAutoCommit(false);
            blocker.createStatement().executeUpdate(Rows.placeholderArtifact(twin.build().buildId()));
            builds.send(twin);
            Rows.awaitBlocked(database, "insert into artifact");

            JsonPath run = given().header("Authorization", ADMIN).post("/api/v1/retention/runs").then()
                    .statusCode(200).extract().jsonPath();
            assertEquals(Set.of(expired.build().buildId()), buildsOf(run, spec));
            blocker.rollback();
        }

        ArtifactStored stored = builds.awaitStored(twin.build().buildId(), 1, StagedBuilds.TIMEOUT).get(0);
        assertEquals(expired.key(), stored.key());
        assertTrue(exists(stored), "the twin's artifact points at an object that exists");
        assertEquals(StagedBuilds.sha256(shared), builds.sha256Of(stored.bucket(), stored.key()));
    }

    /**
     * Retention chose the expired artifact's object (no record pointed at it) and is held back while
     * an identical build, skipping its copy, records itself: the object must stay.
     */
    @Test
    void anObjectAnIdenticalBuildRecordedWhileRetentionWasUnderWayIsKept() throws Exception {
        String spec = "race-" + UUID.randomUUID().toString().substring(0, 8);
        byte[] shared = StagedBuilds.uniqueContent("kept");
        ArtifactStored expired = storeExpired(spec, shared);
        BuildCompleted twin = builds.stage("team-b", spec + "-twin", "qcow2", shared, Extras.NONE);

        CompletableFuture<JsonPath> run;
        try (Connection blocker = database.getConnection()) {
            blocker.setAutoCommit(false);
            blocker.createStatement().executeQuery("select id from artifact where build_id = '"
                    + expired.build().buildId() + "' for update");
            run = CompletableFuture.supplyAsync(() -> given().header("Authorization", ADMIN)
                    .post("/api/v1/retention/runs").then().statusCode(200).extract().jsonPath());
            Rows.awaitBlocked(database, "delete from artifact");

            ArtifactStored stored = builds.store(twin);
            assertEquals(expired.key(), stored.key());
            blocker.rollback();
        }

        JsonPath result = run.get(StagedBuilds.TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertEquals(Set.of(expired.build().buildId()), buildsOf(result, spec));
        assertFalse(result.getList("objects").contains(expired.key()), "the twin points at it now");
        assertTrue(exists(expired), "the object the twin points at is still there");
        assertEquals(StagedBuilds.sha256(shared), builds.sha256Of(expired.bucket(), expired.key()));
    }

    /** Stores {@code content} as an artifact of {@code spec} that the next run deletes (two newer ones, ten days old). */
    private ArtifactStored storeExpired(String spec, byte[] content) throws Exception {
        ArtifactStored expired = builds.store(builds.stage("team-a", spec, "qcow2", content, Extras.NONE));
        execute("update artifact set created_at = now() - interval '10 days' where build_id = '"
                + expired.build().buildId() + "'");
        for (int i = 0; i < 2; i++) {
            builds.store(builds.stage("team-a", spec, "qcow2", StagedBuilds.uniqueContent("newer " + i), Extras.NONE));
        }
        return expired;
    }

    @Test
    void aPackIsRecordedOnceHoweverOftenItsEventArrivesAndMalformedEventsAreDeadLettered() throws Exception {
        ArtifactStored stored = builds.store(builds.stage("team-a", "packed", "qcow2",
                StagedBuilds.uniqueContent("packed"), Extras.NONE));
        publishPack(stored);
        publishPack(stored);
        String buildId = stored.build().buildId();
        // Same key, same partition: once the poison is dead-lettered, both deliveries were handled.
        builds.kafka.sendCloudEvent(Topics.PACKS_PUBLISHED, buildId, EventTypes.PACK_PUBLISHED,
                UUID.randomUUID().toString(), "{\"reference\":42}");
        builds.kafka.awaitRecords(Topics.deadLetter(Topics.PACKS_PUBLISHED), buildId, 1, StagedBuilds.TIMEOUT);
        assertEquals(1, count("select count(*) from pack_reference where build_id = '" + buildId + "'"));
    }

    @Test
    void aDeprecatedPacksArtifactIsKeptLikeAnyPublishedOneButARevokedPacksIsNot() throws Exception {
        String spec = "retired-" + UUID.randomUUID().toString().substring(0, 8);
        ArtifactStored expired = storeExpired(spec, StagedBuilds.uniqueContent("retired"));
        String buildId = expired.build().buildId();
        publishPack(expired);
        awaitPackReference(buildId);
        assertEquals(Set.of(), buildsOf(plan(), spec), "a published pack keeps its artifact");

        retirePack(expired, EventTypes.PACK_DEPRECATED);
        awaitReferenceMarked(buildId, "deprecated_at");
        assertEquals(Set.of(), buildsOf(plan(), spec), "a deprecated pack still keeps it");

        retirePack(expired, EventTypes.PACK_REVOKED);
        awaitReferenceMarked(buildId, "revoked_at");
        assertEquals(Set.of(buildId), buildsOf(plan(), spec), "a revoked pack keeps nothing");

        // A retirement of another type is poison, dead-lettered to its own topic's DLQ although one
        // consumer reads both pack topics.
        builds.kafka.sendCloudEvent(Topics.PACKS_RETIRED, buildId, EventTypes.PACK_PUBLISHED,
                UUID.randomUUID().toString(), "{}");
        builds.kafka.awaitRecords(Topics.deadLetter(Topics.PACKS_RETIRED), buildId, 1, StagedBuilds.TIMEOUT);
    }

    private static JsonPath plan() {
        return given().header("Authorization", ADMIN).get("/api/v1/retention/plan").then().statusCode(200)
                .extract().jsonPath();
    }

    private void retirePack(ArtifactStored stored, String type) {
        PackRetired retired = new PackRetired("p", "1.0.0", "team-a", stored.build().buildId(), PACK_MANIFEST,
                stored.sha256(), "withdrawn", "root", "2026-12-05T07:00:00Z");
        builds.kafka.sendCloudEvent(Topics.PACKS_RETIRED, stored.build().buildId(), type,
                UUID.randomUUID().toString(), EventJson.write(retired));
    }

    private void awaitReferenceMarked(String buildId, String column) {
        await(column + " of " + buildId + " recorded").atMost(StagedBuilds.TIMEOUT).pollInterval(Duration.ofMillis(100))
                .until(() -> count("select count(*) from pack_reference where build_id = '" + buildId + "' and "
                        + column + " is not null") > 0);
    }

    private void publishPack(ArtifactStored stored) {
        PackPublished published = new PackPublished(stored.build(),
                "127.0.0.1:5000/byoos/spectro-packs/archive/p:1.0.0", PACK_MANIFEST, stored.uri());
        builds.kafka.sendCloudEvent(Topics.PACKS_PUBLISHED, stored.build().buildId(), EventTypes.PACK_PUBLISHED,
                UUID.randomUUID().toString(), EventJson.write(published));
    }

    /** Waits (not a timed assertion: bounded only so a broken consumer fails the test) for the reference. */
    private void awaitPackReference(String buildId) {
        await("pack.published for " + buildId + " recorded").atMost(StagedBuilds.TIMEOUT)
                .pollInterval(Duration.ofMillis(100))
                .until(() -> count("select count(*) from pack_reference where build_id = '" + buildId + "'") > 0);
    }

    private static Set<String> buildsOf(JsonPath plan, String spec) {
        List<String> specs = plan.getList("artifacts.spec");
        List<String> ids = plan.getList("artifacts.buildId");
        Set<String> ours = new HashSet<>();
        for (int i = 0; i < ids.size(); i++) {
            if (specs.get(i).equals(spec)) {
                ours.add(ids.get(i));
            }
        }
        return ours;
    }

    private boolean exists(ArtifactStored stored) throws Exception {
        try {
            builds.s3.statObject(StatObjectArgs.builder().bucket(stored.bucket()).object(stored.key()).build());
            return true;
        } catch (ErrorResponseException e) {
            assertEquals("NoSuchKey", e.errorResponse().code(), e::getMessage);
            return false;
        }
    }

    private Set<String> remainingBuilds(String spec) throws Exception {
        try (Connection connection = database.getConnection();
                ResultSet rows = connection.createStatement().executeQuery(
                        "select build_id from artifact where spec_name = '" + spec + "'")) {
            Set<String> ids = new HashSet<>();
            while (rows.next()) {
                ids.add(rows.getString(1));
            }
            return ids;
        }
    }

    private void execute(String sql) throws Exception {
        try (Connection connection = database.getConnection()) {
            assertEquals(1, connection.createStatement().executeUpdate(sql));
        }
    }

    private long count(String sql) throws Exception {
        return Rows.count(database, sql);
    }
}
