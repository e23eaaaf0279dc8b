package dev.byoos.spec.rest;

import java.time.OffsetDateTime;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

import dev.byoos.spec.repository.BuildEntity;
import dev.byoos.spec.repository.BuildEventEntity;
import dev.byoos.spec.repository.BuildTransitionEntity;
import dev.byoos.spec.BuildState;

/**
 * A build as the API shows it: its state across every stage, the current stage's progress, when it
 * entered each state, and the events that moved it.
 *
 * @param trigger       why the build exists: manual, event, webhook, schedule, base-updated,
 *                      kubernetes-patch or retry
 * @param cancelTooLate true when a cancel was accepted but the worker had already finished the build,
 *                      so it went on to be stored and published ({@link BuildState#advanceTo}); absent otherwise
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BuildView(String id, String team, Spec spec, Target target, int attempt, String trigger, BuildState state,
        String reusedFrom, String cancelledBy, Boolean cancelTooLate, Artifact artifact, BootTest bootTest, Pack pack, Progress progress,
        Failure failure,
        OffsetDateTime createdAt, OffsetDateTime updatedAt, List<Transition> transitions, List<TimelineEntry> timeline) {

    public record Spec(String name, int version, String digest) {
    }

    public record Target(String cloud, String format) {
    }

    public record Artifact(String uri, String sha256, Long size) {
    }

    public record Pack(String reference) {
    }

    /**
     * The worker's boot smoke test: {@code passed} (the image booted under UEFI to its marker) or
     * {@code skipped} (with the reason, e.g. no kernel in the base).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record BootTest(String result, String detail, Long durationMillis) {
        static BootTest of(BuildEntity build) {
            return build.bootTestResult == null ? null
                    : new BootTest(build.bootTestResult, build.bootTestDetail, build.bootTestMillis);
        }
    }

    /**
     * The latest report of the stage working on the build; absent once the build moved past it.
     *
     * @param waitingFor set while the stage waits for a dependency (s3, registry) to come back
     * @param reportedAt when the stage reported
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Progress(String stage, String phase, int percent, String waitingFor, String detail,
            OffsetDateTime reportedAt) {
        static Progress of(BuildEntity build) {
            return build.progressStage == null ? null
                    : new Progress(build.progressStage, build.progressPhase, build.progressPercent,
                            build.progressWaitingFor, build.progressDetail, build.progressAt);
        }
    }

    /**
     * Why a stage gave up.
     *
     * @param category {@code spec} (fix the spec), {@code infrastructure} (a dependency failed) or
     *                 {@code builder} (a bug in the factory); absent when the stage did not say
     * @param attempts how often the stage tried; absent when it did not say
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Failure(String stage, String code, String reason, String category, Integer attempts) {
        static Failure of(BuildEntity build) {
            return build.failureCode == null ? null
                    : new Failure(build.failureStage, build.failureCode, build.failureReason, build.failureCategory,
                            build.failureAttempts);
        }
    }

    /** When the build entered a state. */
    public record Transition(BuildState state, OffsetDateTime enteredAt) {
    }

    public record TimelineEntry(String type, String source, OffsetDateTime occurredAt, String summary) {
    }

    /** The short form listed in a submission's response; {@code reusedFrom} only for REUSED builds. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Summary(String id, Target target, int attempt, String trigger, BuildState state, String reusedFrom,
            String href) {
        static Summary of(BuildEntity build) {
            return new Summary(build.id.toString(), new Target(build.targetCloud, build.targetFormat), build.attempt,
                    build.trigger, build.state, build.reusedFrom == null ? null : build.reusedFrom.toString(), "/api/v1/builds/" + build.id);
        }
    }

    static BuildView of(BuildEntity build, List<BuildTransitionEntity> transitions, List<BuildEventEntity> events) {
        return new BuildView(build.id.toString(), build.team,
                new Spec(build.spec.name, build.spec.version, build.spec.digest),
                new Target(build.targetCloud, build.targetFormat),
                build.attempt,
                build.trigger,
                build.state,
                build.reusedFrom == null ? null : build.reusedFrom.toString(),
                build.cancelledBy,
                build.cancelledBy != null && build.state != BuildState.CANCELLED ? Boolean.TRUE : null,
                build.artifactUri == null ? null : new Artifact(build.artifactUri, build.artifactSha256, build.artifactSize),
                BootTest.of(build),
                build.packReference == null ? null : new Pack(build.packReference),
                Progress.of(build),
                Failure.of(build),
                build.createdAt, build.updatedAt,
                transitions.stream().map(transition -> new Transition(transition.state, transition.enteredAt)).toList(),
                events.stream().map(event -> new TimelineEntry(event.eventType, event.source, event.occurredAt,
                        event.summary)).toList());
    }
}
