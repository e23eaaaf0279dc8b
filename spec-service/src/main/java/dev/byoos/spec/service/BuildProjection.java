package dev.byoos.spec.service;

import java.time.OffsetDateTime;

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

/**
 * How a stage's event changes the build read model, without the database: the state only moves
 * forward, data fields are recorded even when it cannot, and PUBLISHED waits for both the artifact
 * and the pack (each topic is consumed on its own, so either can arrive first).
 */
public final class BuildProjection {

    /** The reason an event whose coordinates contradict its build's record is dead-lettered with. */
    public static final String CONTRADICTS_RECORD = "BUILD_CONTRADICTS_RECORD";

    private BuildProjection() {
    }

    /** What one event changes on a build. */
    public sealed interface BuildUpdate {

        BuildCoordinates coordinates();

        /** The event itself, as its contract record. */
        Object event();

        /** One line for the build's timeline. */
        String summary();

        void applyTo(BuildEntity build);

        /** The state the event says the build reached, or null for one that is not a stage done. */
        BuildState reached();

        /** @throws MalformedEventException when the payload is not an event of {@code type} */
        static BuildUpdate parse(String type, String payload) {
            return switch (type) {
                case EventTypes.BUILD_STARTED -> new Started(EventJson.read(payload, BuildStarted.class));
                case EventTypes.BUILD_COMPLETED -> new Completed(EventJson.read(payload, BuildCompleted.class));
                case EventTypes.BUILD_FAILED -> new Failed(EventJson.read(payload, BuildFailed.class));
                case EventTypes.ARTIFACT_STORED -> new Stored(EventJson.read(payload, ArtifactStored.class));
                case EventTypes.PACK_PUBLISHED -> new Published(EventJson.read(payload, PackPublished.class));
                default -> throw new MalformedEventException("unsupported event type " + type, null);
            };
        }
    }

    /**
     * Applies {@code update} to {@code build}: its state and data, and the progress report of a stage
     * it has moved past is dropped.
     *
     * @return the state the build was in before
     */
    public static BuildState project(BuildEntity build, BuildUpdate update, OffsetDateTime now) {
        BuildState before = build.state;
        update.applyTo(build);
        build.forgetProgressOfPastStages();
        build.updatedAt = now;
        return before;
    }

    /**
     * Every stage's event carries the coordinates the build was requested with, unchanged: an event of
     * the build claiming another team, spec or target is not this build's (a forged or corrupted
     * record), and changes nothing. Its failure, say, would otherwise fail a build that is about to be
     * published.
     *
     * @param build the build as recorded, with its spec's name, version and digest
     * @throws MalformedEventException ({@value #CONTRADICTS_RECORD}) when the event contradicts the record
     */
    public static void checkAgainstRecord(BuildEntity build, BuildCoordinates claimed) {
        String recorded = describe(build.team, build.spec.name, build.spec.version, build.spec.digest,
                build.targetCloud, build.targetFormat);
        String claims = describe(claimed.team(), claimed.specName(), claimed.specVersion(), claimed.specDigest(),
                claimed.target().cloud(), claimed.target().format());
        if (!recorded.equals(claims)) {
            throw new MalformedEventException(CONTRADICTS_RECORD + ": build " + build.id + " was requested for "
                    + recorded + ", the event claims " + claims, null);
        }
    }

    private static String describe(String team, String specName, int specVersion, String specDigest, String cloud,
            String format) {
        return "team " + team + ", spec " + specName + "@" + specVersion + " (" + specDigest + "), target " + cloud
                + "/" + format;
    }

    /**
     * Whether a build now in {@code state} passed through {@code reached} without landing there: the
     * reached stage's event came after the next stage's, so the build went from BUILDING straight to
     * STORED, or from BUILT straight to PUBLISHED. Its timeline must still list that state.
     */
    public static boolean passedThrough(BuildState reached, BuildState state) {
        return reached != null && state.isOnTheWayTo(BuildState.PUBLISHED) && reached.isBefore(state);
    }

    record Started(BuildStarted event) implements BuildUpdate {
        public BuildCoordinates coordinates() {
            return event.build();
        }

        public String summary() {
            return "started on worker " + event.worker();
        }

        public void applyTo(BuildEntity build) {
            build.state = build.state.advanceTo(BuildState.BUILDING);
        }

        public BuildState reached() {
            return BuildState.BUILDING;
        }
    }

    record Completed(BuildCompleted event) implements BuildUpdate {
        public BuildCoordinates coordinates() {
            return event.build();
        }

        public String summary() {
            return "built " + event.image().format() + " image, " + event.image().size() + " bytes, sha256 "
                    + event.image().sha256() + " in " + event.durationMillis() + " ms";
        }

        public BuildState reached() {
            return BuildState.BUILT;
        }

        public void applyTo(BuildEntity build) {
            build.state = build.state.advanceTo(BuildState.BUILT);
            if (event.bootTest() != null) {
                build.bootTestResult = event.bootTest().result();
                build.bootTestDetail = event.bootTest().detail();
                build.bootTestMillis = event.bootTest().durationMillis();
            }
        }
    }

    record Failed(BuildFailed event) implements BuildUpdate {
        public BuildCoordinates coordinates() {
            return event.build();
        }

        public String summary() {
            String category = event.category() == null ? "" : " (" + event.category()
                    + (event.attempts() > 0 ? ", after " + event.attempts() + " attempts" : "") + ")";
            return event.stage() + " failed" + category + ": " + event.code() + ": " + event.reason();
        }

        public BuildState reached() {
            return null;
        }

        /** The first failure is the one recorded: a later one cannot change why a finished build failed. */
        public void applyTo(BuildEntity build) {
            BuildState next = build.state.advanceTo(BuildState.FAILED);
            if (next == BuildState.FAILED && build.state != BuildState.FAILED) {
                build.failureStage = event.stage();
                build.failureCode = event.code();
                build.failureReason = event.reason();
                build.failureCategory = event.category();
                build.failureAttempts = event.attempts() > 0 ? event.attempts() : null;
            }
            build.state = next;
        }
    }

    record Stored(ArtifactStored event) implements BuildUpdate {
        public BuildCoordinates coordinates() {
            return event.build();
        }

        public String summary() {
            return "stored at " + event.uri();
        }

        public BuildState reached() {
            return BuildState.STORED;
        }

        public void applyTo(BuildEntity build) {
            build.artifactUri = event.uri();
            build.artifactSha256 = event.sha256();
            build.artifactSize = event.size();
            build.state = build.state.advanceTo(build.packReference == null ? BuildState.STORED : BuildState.PUBLISHED);
        }
    }

    record Published(PackPublished event) implements BuildUpdate {
        public BuildCoordinates coordinates() {
            return event.build();
        }

        public String summary() {
            return "pack published as " + event.reference();
        }

        /**
         * Each topic is consumed on its own, so the pack can be heard of before the artifact it
         * points at; PUBLISHED waits for both, so a published build always shows its artifact
         * (and a REUSED build copies a complete one).
         */
        public BuildState reached() {
            return BuildState.PUBLISHED;
        }

        public void applyTo(BuildEntity build) {
            build.packReference = event.reference();
            if (build.artifactUri != null) {
                build.state = build.state.advanceTo(BuildState.PUBLISHED);
            }
        }
    }
}
