package dev.byoos.spec.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import dev.byoos.contract.ArtifactStored;
import dev.byoos.contract.BuildCompleted;
import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildFailed;
import dev.byoos.contract.BuildStarted;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventJson.MalformedEventException;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.PackPublished;
import dev.byoos.spec.BuildState;
import dev.byoos.spec.repository.BuildEntity;
import dev.byoos.spec.repository.SpecEntity;
import dev.byoos.spec.service.BuildProjection.BuildUpdate;

/** The read-model projection on its own: events applied to a build in memory, in every order. */
class BuildProjectionTest {

    private static final OffsetDateTime NOW = OffsetDateTime.of(2026, 12, 4, 12, 0, 0, 0, ZoneOffset.UTC);
    private static final String ARTIFACT_URI = "s3://byoos-artifacts/sha256/abc";
    private static final String PACK = "registry.example/byoos/pack:1.0.0";

    private final UUID buildId = UUID.randomUUID();
    private final BuildCoordinates coordinates = new BuildCoordinates(buildId.toString(), "platform", "node", 1,
            "a".repeat(64), new BuildCoordinates.OperatingSystem("debian", "12"), "1.30.4",
            new BuildCoordinates.Target("qemu", "qcow2"), new BuildCoordinates.Pack("byoos-debian", "1.0.0", "Debian"));

    private BuildEntity build(BuildState state) {
        BuildEntity build = new BuildEntity();
        build.id = buildId;
        build.state = state;
        return build;
    }

    private BuildUpdate started() {
        return update(EventTypes.BUILD_STARTED, new BuildStarted(coordinates, "worker-1"));
    }

    private BuildUpdate completed() {
        return update(EventTypes.BUILD_COMPLETED, new BuildCompleted(coordinates,
                new BuildCompleted.StagedObject("byoos-staging", "builds/x", "b".repeat(64), 42, "qcow2"), "native", 1000));
    }

    private BuildUpdate stored() {
        return update(EventTypes.ARTIFACT_STORED, new ArtifactStored(coordinates, "byoos-artifacts", "sha256/abc",
                ARTIFACT_URI, "b".repeat(64), 42, "qcow2"));
    }

    private BuildUpdate published() {
        return update(EventTypes.PACK_PUBLISHED, new PackPublished(coordinates, PACK, "sha256:" + "c".repeat(64), "{}"));
    }

    private BuildUpdate failed(String code) {
        return update(EventTypes.BUILD_FAILED, new BuildFailed(coordinates, "build", code, "it broke", false,
                BuildFailed.BUILDER, 3));
    }

    /** Through the event's JSON, as the consumer reads it. */
    private static BuildUpdate update(String type, Object event) {
        return BuildUpdate.parse(type, EventJson.write(event));
    }

    private static BuildState apply(BuildEntity build, BuildUpdate... updates) {
        for (BuildUpdate update : updates) {
            BuildProjection.project(build, update, NOW);
        }
        return build.state;
    }

    @Test
    void eachStageMovesABuildOneStateForward() {
        BuildEntity build = build(BuildState.QUEUED);
        assertEquals(BuildState.BUILDING, apply(build, started()));
        assertEquals(BuildState.BUILT, apply(build, completed()));
        assertEquals(BuildState.STORED, apply(build, stored()));
        assertEquals(BuildState.PUBLISHED, apply(build, published()));
        assertEquals(ARTIFACT_URI, build.artifactUri);
        assertEquals(PACK, build.packReference);
        assertEquals(NOW, build.updatedAt);
    }

    @Test
    void projectReturnsTheStateBefore() {
        assertEquals(BuildState.QUEUED, BuildProjection.project(build(BuildState.QUEUED), started(), NOW));
    }

    @Test
    void aLateEventNeverMovesABuildBackwards() {
        BuildEntity build = build(BuildState.BUILDING);
        apply(build, completed(), started());
        assertEquals(BuildState.BUILT, build.state);
    }

    @Test
    void aPackHeardOfBeforeItsArtifactWaitsForItToPublish() {
        BuildEntity build = build(BuildState.BUILT);
        assertEquals(BuildState.BUILT, apply(build, published()), "no artifact yet: not published");
        assertEquals(PACK, build.packReference, "the pack is recorded all the same");
        assertEquals(BuildState.PUBLISHED, apply(build, stored()), "the artifact completes it");
    }

    @Test
    void theFirstFailureIsTheOneRecorded() {
        BuildEntity build = build(BuildState.BUILDING);
        assertEquals(BuildState.FAILED, apply(build, failed("FIRST"), failed("SECOND")));
        assertEquals("FIRST", build.failureCode);
        assertEquals("build", build.failureStage);
        assertEquals(BuildFailed.BUILDER, build.failureCategory);
        assertEquals(3, build.failureAttempts);
    }

    @Test
    void aFinishedBuildStaysFinished() {
        BuildEntity cancelled = build(BuildState.CANCELLED);
        assertEquals(BuildState.CANCELLED, apply(cancelled, started(), failed("LATE")));
        assertNull(cancelled.failureCode, "a failure after cancelling is not the build's failure");
        BuildEntity published = build(BuildState.PUBLISHED);
        assertEquals(BuildState.PUBLISHED, apply(published, failed("LATE")));
    }

    @Test
    void aCancelledBuildTheWorkerFinishedAnywayFollowsItsArtifactAndPack() {
        BuildEntity build = build(BuildState.CANCELLED);
        assertEquals(BuildState.BUILT, apply(build, completed()), "the image is built and will be stored");
        assertEquals(BuildState.PUBLISHED, apply(build, published(), stored()), "the registry holds its pack");
        assertEquals(PACK, build.packReference);
    }

    @Test
    void theProgressOfAStageTheBuildHasPassedIsDropped() {
        BuildEntity build = build(BuildState.BUILDING);
        build.progressStage = "build";
        build.progressPercent = 50;
        apply(build, completed());
        assertNull(build.progressStage);
        assertNull(build.progressPercent);
    }

    @Test
    void aStateSkippedBecauseTheNextStageReportedFirstIsAPassedThroughState() {
        assertTrue(BuildProjection.passedThrough(BuildState.BUILT, BuildState.PUBLISHED));
        assertTrue(BuildProjection.passedThrough(BuildState.STORED, BuildState.PUBLISHED));
        assertFalse(BuildProjection.passedThrough(BuildState.STORED, BuildState.STORED), "landed there");
        assertFalse(BuildProjection.passedThrough(BuildState.BUILDING, BuildState.FAILED), "a failed build went nowhere");
        assertFalse(BuildProjection.passedThrough(null, BuildState.PUBLISHED), "a failure reaches no state");
    }

    @Test
    void anEventOfAnotherTypeIsMalformed() {
        String started = EventJson.write(new BuildStarted(coordinates, "worker-1"));
        org.junit.jupiter.api.Assertions.assertThrows(EventJson.MalformedEventException.class,
                () -> BuildUpdate.parse("dev.byoos.unknown", started));
    }

    @Test
    void anEventWithTheRequestedCoordinatesMatchesTheRecordAndAnyOtherTeamSpecOrTargetContradictsIt() {
        BuildEntity recorded = build(BuildState.QUEUED);
        recorded.team = "platform";
        recorded.targetCloud = "qemu";
        recorded.targetFormat = "qcow2";
        recorded.spec = new SpecEntity();
        recorded.spec.name = "node";
        recorded.spec.version = 1;
        recorded.spec.digest = "a".repeat(64);
        BuildProjection.checkAgainstRecord(recorded, coordinates);

        BuildCoordinates.OperatingSystem os = coordinates.os();
        BuildCoordinates.Pack pack = coordinates.pack();
        String id = coordinates.buildId();
        List<BuildCoordinates> contradicting = List.of(
                new BuildCoordinates(id, "intruder", "node", 1, "a".repeat(64), os, "1.30.4", coordinates.target(), pack),
                new BuildCoordinates(id, "platform", "other", 1, "a".repeat(64), os, "1.30.4", coordinates.target(), pack),
                new BuildCoordinates(id, "platform", "node", 2, "a".repeat(64), os, "1.30.4", coordinates.target(), pack),
                new BuildCoordinates(id, "platform", "node", 1, "b".repeat(64), os, "1.30.4", coordinates.target(), pack),
                new BuildCoordinates(id, "platform", "node", 1, "a".repeat(64), os, "1.30.4",
                        new BuildCoordinates.Target("aws", "qcow2"), pack),
                new BuildCoordinates(id, "platform", "node", 1, "a".repeat(64), os, "1.30.4",
                        new BuildCoordinates.Target("qemu", "raw"), pack));
        for (BuildCoordinates claimed : contradicting) {
            MalformedEventException refused = assertThrows(MalformedEventException.class,
                    () -> BuildProjection.checkAgainstRecord(recorded, claimed), claimed.toString());
            assertTrue(refused.getMessage().startsWith("BUILD_CONTRADICTS_RECORD: build " + buildId
                    + " was requested for team platform, spec node@1"), refused.getMessage());
        }
    }
}
