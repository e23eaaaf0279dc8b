package dev.byoos.spec.service;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;

import io.opentelemetry.instrumentation.annotations.SpanAttribute;
import io.opentelemetry.instrumentation.annotations.WithSpan;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;

import dev.byoos.contract.BuildProgress;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.PackRetired;
import dev.byoos.contract.EventJson.MalformedEventException;
import dev.byoos.spec.BuildState;
import dev.byoos.spec.PipelineStage;
import dev.byoos.spec.notify.Deliveries;
import dev.byoos.spec.observability.BuildMetrics;
import dev.byoos.spec.observability.BuildMetrics.BuildTransition;
import dev.byoos.spec.repository.BuildEntity;
import dev.byoos.spec.repository.BuildEventEntity;
import dev.byoos.spec.service.BuildProjection.BuildUpdate;

/**
 * Keeps the build read model current from every stage's events, one transaction per event.
 * Idempotent: each CloudEvent id is recorded once (primary key), and a redelivered event changes
 * nothing. Progress reports are not events of the timeline: they only replace the build's previous
 * report.
 */
@ApplicationScoped
public class BuildReadModel {

    /** SQLSTATE foreign_key_violation: an event's build id names no build. */
    private static final String FOREIGN_KEY_VIOLATION = "23503";

    private final BuildMetrics metrics;
    private final Deliveries notifications;

    public BuildReadModel(BuildMetrics metrics, Deliveries notifications) {
        this.metrics = metrics;
        this.notifications = notifications;
    }

    /**
     * Records a stage's event in the build's timeline and, the first time it is delivered, projects
     * it onto the build and queues it for the build's team's notification subscriptions, in the same
     * transaction: a redelivered event notifies nobody again.
     *
     * @throws MalformedEventException (as the failure) when the event names a build this service never created
     */
    @WithSpan("build.record-event")
    public Uni<Void> record(@SpanAttribute("byoos.event.id") String eventId, String type, String source,
            OffsetDateTime occurredAt, BuildUpdate update) {
        UUID buildId = buildId(update.coordinates().buildId());
        return Panache.withTransaction(() -> BuildEventEntity.recordFirstDelivery(eventId, buildId, type, source,
                occurredAt, update.summary())
                // The timeline's foreign key is the check that the build exists, at no cost to known ones.
                .onFailure(failure -> DatabaseOutages.hasSqlState(failure, FOREIGN_KEY_VIOLATION))
                .transform(failure -> new MalformedEventException("unknown build " + buildId, null))
                .flatMap(first -> first ? project(buildId, update, occurredAt)
                        .call(transition -> notifications.enqueue(transition.team(), eventId, type, source,
                                occurredAt, buildId.toString(), EventJson.write(update.event())))
                        : Uni.createFrom().<BuildTransition>nullItem()))
                // Counted after the commit: a redelivery finds the event id recorded and moves nothing.
                .invoke(transition -> {
                    if (transition != null) {
                        metrics.transitioned(transition);
                    }
                })
                .replaceWithVoid();
    }

    /**
     * A pack version of the build was deprecated or revoked: recorded in the build's timeline (once
     * per event id), where an identical spec's resubmission looks before reusing the build
     * ({@link SpecBuilds}), and queued for the team's subscriptions in the same transaction. The
     * build's state does not change: it was published.
     */
    @WithSpan("build.record-retirement")
    public Uni<Void> recordRetirement(@SpanAttribute("byoos.event.id") String eventId, String type, String source,
            OffsetDateTime occurredAt, PackRetired retired) {
        UUID buildId = buildId(retired.buildId());
        String summary = "pack " + retired.pack() + ":" + retired.version() + " "
                + (EventTypes.PACK_REVOKED.equals(type) ? "revoked" : "deprecated") + " by " + retired.actor()
                + ": " + retired.reason();
        return Panache.withTransaction(() -> BuildEventEntity.recordFirstDelivery(eventId, buildId, type, source,
                occurredAt, summary)
                .onFailure(failure -> DatabaseOutages.hasSqlState(failure, FOREIGN_KEY_VIOLATION))
                .transform(failure -> new MalformedEventException("unknown build " + buildId, null))
                // The build's own team is told, once per event id; never a team the event names.
                .flatMap(first -> first ? BuildEntity.<BuildEntity>findById(buildId)
                        .flatMap(build -> notifications.enqueue(build.team, eventId, type, source, occurredAt,
                                buildId.toString(), EventJson.write(retired)))
                        : Uni.createFrom().voidItem()))
                .replaceWithVoid();
    }

    /**
     * A stage's progress report replaces the build's previous one unless it is stale
     * ({@link BuildEntity#recordProgress}); comparing report times keeps a redelivered one from
     * changing anything.
     */
    @WithSpan("build.record-progress")
    public Uni<Void> recordProgress(BuildProgress report, OffsetDateTime reportedAt) {
        PipelineStage stage = PipelineStage.of(report.stage()).orElseThrow(
                () -> new MalformedEventException("unknown stage '" + report.stage() + "'", null));
        UUID buildId = buildId(report.build().buildId());
        return Panache.withTransaction(() -> BuildEntity.recordProgress(buildId, stage, report, reportedAt))
                .replaceWithVoid();
    }

    private static Uni<BuildTransition> project(UUID buildId, BuildUpdate update, OffsetDateTime occurredAt) {
        // Locked: each topic has its own consumer, so two stages' events for one build can be applied
        // at once. Unlocked, an artifact and a pack applied together could each miss the other and
        // leave the build STORED with both known.
        return BuildEntity.<BuildEntity>findById(buildId, LockModeType.PESSIMISTIC_WRITE).flatMap(build -> {
            if (build == null) {
                // The event names a build this service never created: nothing to project it onto.
                return Uni.createFrom().failure(new MalformedEventException("unknown build " + buildId, null));
            }
            BuildState before = BuildProjection.project(build, update, OffsetDateTime.now(ZoneOffset.UTC));
            BuildTransition transition = BuildTransition.of(build, before);
            return recordPassedThrough(build, update.reached(), occurredAt).replaceWith(transition);
        });
    }

    /**
     * The build_changed trigger records the state a build lands in; a state it passed through
     * ({@link BuildProjection#passedThrough}) is recorded here, at the event's time but before every
     * later state the build has entered, so the timeline lists every stage in order.
     */
    private static Uni<Void> recordPassedThrough(BuildEntity build, BuildState reached, OffsetDateTime occurredAt) {
        if (!BuildProjection.passedThrough(reached, build.state)) {
            return Uni.createFrom().voidItem();
        }
        return Panache.getSession().flatMap(session -> session.createNativeQuery("""
                insert into build_transition (build_id, state, entered_at)
                select :build, :state, least(:occurred,
                        coalesce((select min(entered_at) from build_transition
                                  where build_id = :build and state in (:later)), now()) - interval '1 microsecond')
                on conflict do nothing""")
                .setParameter("build", build.id)
                .setParameter("state", reached.name())
                .setParameter("occurred", occurredAt)
                .setParameter("later", BuildState.after(reached).stream().map(BuildState::name).toList())
                .executeUpdate())
                .replaceWithVoid();
    }

    private static UUID buildId(String buildId) {
        try {
            return UUID.fromString(buildId);
        } catch (IllegalArgumentException e) {
            throw new MalformedEventException("buildId '" + buildId + "' is not a UUID", e);
        }
    }
}
