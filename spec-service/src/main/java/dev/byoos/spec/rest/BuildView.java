package dev.byoos.spec.rest;

import java.time.OffsetDateTime;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

import dev.byoos.spec.repository.BuildEntity;
import dev.byoos.spec.repository.BuildEventEntity;
import dev.byoos.spec.service.BuildState;

/** A build as the API shows it: its state across every stage and the events that moved it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BuildView(String id, String team, Spec spec, Target target, int attempt, BuildState state,
        String reusedFrom, String cancelledBy, Artifact artifact, Pack pack, Failure failure, OffsetDateTime createdAt,
        OffsetDateTime updatedAt, List<TimelineEntry> timeline) {

    public record Spec(String name, int version, String digest) {
    }

    public record Target(String cloud, String format) {
    }

    public record Artifact(String uri, String sha256, Long size) {
    }

    public record Pack(String reference) {
    }

    public record Failure(String stage, String code, String reason) {
    }

    public record TimelineEntry(String type, String source, OffsetDateTime occurredAt, String summary) {
    }

    /** The short form listed in a submission's response; {@code reusedFrom} only for REUSED builds. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Summary(String id, Target target, int attempt, BuildState state, String reusedFrom, String href) {
        static Summary of(BuildEntity build) {
            return new Summary(build.id.toString(), new Target(build.targetCloud, build.targetFormat), build.attempt,
                    build.state, build.reusedFrom == null ? null : build.reusedFrom.toString(), "/api/v1/builds/" + build.id);
        }
    }

    static BuildView of(BuildEntity build, List<BuildEventEntity> events) {
        return new BuildView(build.id.toString(), build.team,
                new Spec(build.spec.name, build.spec.version, build.spec.digest),
                new Target(build.targetCloud, build.targetFormat),
                build.attempt,
                build.state,
                build.reusedFrom == null ? null : build.reusedFrom.toString(),
                build.cancelledBy,
                build.artifactUri == null ? null : new Artifact(build.artifactUri, build.artifactSha256, build.artifactSize),
                build.packReference == null ? null : new Pack(build.packReference),
                build.failureCode == null ? null : new Failure(build.failureStage, build.failureCode, build.failureReason),
                build.createdAt, build.updatedAt,
                events.stream().map(event -> new TimelineEntry(event.eventType, event.source, event.occurredAt,
                        event.summary)).toList());
    }
}
