package dev.byoos.spec.service;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import io.opentelemetry.instrumentation.annotations.SpanAttribute;
import io.opentelemetry.instrumentation.annotations.WithSpan;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.byoos.contract.BuildProgress;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.PackRetired;
import dev.byoos.contract.EventJson.MalformedEventException;
import dev.byoos.messaging.resilience.PostgresOutages;
import dev.byoos.spec.BuildState;
import dev.byoos.spec.PipelineStage;
import dev.byoos.spec.notify.Deliveries;
import dev.byoos.spec.observability.BuildMetrics;
import dev.byoos.spec.observability.BuildMetrics.BuildTransition;
import dev.byoos.spec.repository.BuildEntity;
import dev.byoos.spec.service.BuildProjection.BuildUpdate;

/**
 * Keeps the build read model current from every stage's events, one transaction per event.
 * Idempotent: each CloudEvent id is recorded once (primary key), and a redelivered event changes
 * nothing. Progress reports are not events of the timeline: they only replace the build's previous
 * report.
 *
 * <p>Plain SQL on the reactive pool, not Hibernate: every build's five events pass here, and a
 * session's persistence context, flush and dirty check cost more CPU than the statements. An event
 * takes two statements (three when it notifies) besides BEGIN and COMMIT.
 */
@ApplicationScoped
public class BuildReadModel {

    /** SQLSTATE foreign_key_violation: an event's build id names no build. */
    private static final String FOREIGN_KEY_VIOLATION = "23503";

    /**
     * Records the event in the timeline unless it was recorded before, and only then returns the
     * build, locked: each topic has its own consumer, so two stages' events for one build can be
     * applied at once. Unlocked, an artifact and a pack applied together could each miss the other
     * and leave the build STORED with both known. FOR NO KEY UPDATE is the lock the update takes
     * anyway; it does not conflict with the key-share lock the timeline's foreign key check takes,
     * so two events of one build queue up instead of deadlocking.
     */
    private static final String RECORD_AND_LOCK = """
            with recorded as (
                insert into build_event (event_id, build_id, event_type, source, occurred_at, received_at, summary)
                values ($1, $2, $3, $4, $5, now(), $6) on conflict (event_id) do nothing returning build_id)
            select\s""" + BuildRows.COLUMNS + """
            , s.name as spec_name, s.version as spec_version, s.digest as spec_digest
            from build, lateral (select name, version, digest from image_spec where image_spec.id = build.spec_id) s
            where build.id = (select build_id from recorded) for no key update of build""";

    /**
     * Writes the projected build. The build_changed trigger records the state it lands in; a state
     * it passed through ({@link BuildProjection#passedThrough}; null otherwise) is recorded here, at
     * the event's time but before every later state the build has entered, so the timeline lists
     * every stage in order. The trigger fires after the whole statement: a later state it records
     * now is dated {@code statement_timestamp()}, which the insert already falls back to.
     */
    private static final String WRITE = """
            with passed as (
                insert into build_transition (build_id, state, entered_at)
                select $1, $21::varchar, least($22::timestamptz,
                        coalesce((select min(entered_at) from build_transition
                                  where build_id = $1 and state = any ($23::varchar[])), statement_timestamp()) - interval '1 microsecond')
                where $21::varchar is not null
                on conflict do nothing)
            update build set state = $2, artifact_uri = $3, artifact_sha256 = $4, artifact_size = $5,
                   pack_reference = $6, failure_stage = $7, failure_code = $8, failure_reason = $9,
                   failure_category = $10, failure_attempts = $11, boot_test_result = $12, boot_test_detail = $13,
                   boot_test_millis = $14, progress_stage = $15, progress_phase = $16, progress_percent = $17,
                   progress_waiting_for = $18, progress_detail = $19, progress_at = $20, updated_at = $24
            where id = $1""";

    private final Pool pool;
    private final BuildMetrics metrics;
    private final Deliveries notifications;

    public BuildReadModel(Pool pool, BuildMetrics metrics, Deliveries notifications) {
        this.pool = pool;
        this.metrics = metrics;
        this.notifications = notifications;
    }

    /**
     * Records a stage's event in the build's timeline and, the first time it is delivered, projects
     * it onto the build and queues it for the build's team's notification subscriptions, in the same
     * transaction: a redelivered event notifies nobody again.
     *
     * @throws MalformedEventException (as the failure) when the event names a build this service never created,
     *         or claims coordinates (team, spec, target) the build was not requested with
     */
    @WithSpan("build.record-event")
    public Uni<Void> record(@SpanAttribute("byoos.event.id") String eventId, String type, String source,
            OffsetDateTime occurredAt, BuildUpdate update) {
        UUID buildId = buildId(update.coordinates().buildId());
        return pool.withTransaction(connection -> recordFirstDelivery(connection, eventId, buildId, type, source,
                occurredAt, update.summary())
                // A contradicting event fails here, in the transaction: its timeline entry is rolled back too.
                .invoke(build -> {
                    if (build != null) {
                        BuildProjection.checkAgainstRecord(build, update.coordinates());
                    }
                })
                .flatMap(build -> build == null ? Uni.createFrom().<BuildTransition>nullItem()
                        : project(connection, build, update, occurredAt)
                                .call(transition -> notifications.enqueue(connection, build.team, eventId, type,
                                        source, occurredAt, buildId.toString(), EventJson.write(update.event())))))
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
        return pool.withTransaction(connection -> recordFirstDelivery(connection, eventId, buildId, type, source,
                occurredAt, summary)
                // The build's own team is told, once per event id; never a team the event names.
                .flatMap(build -> build == null ? Uni.createFrom().voidItem()
                        : notifications.enqueue(connection, build.team, eventId, type, source, occurredAt,
                                buildId.toString(), EventJson.write(retired))));
    }

    /**
     * Records a stage's progress report unless it is stale: the build moved past the stage or
     * finished, a later stage already reports, or this stage already reported something newer
     * (which also makes a redelivered report change nothing). One conditional update: reports
     * arrive often and must neither wait for nor overwrite the state changes of other events. A
     * report whose coordinates (team, spec, target) are not the build's record is not the build's
     * and changes nothing either, like any other stale report (unlike a stage's event, it is not
     * dead-lettered: telling it apart would cost every report a read).
     */
    @WithSpan("build.record-progress")
    public Uni<Void> recordProgress(BuildProgress report, OffsetDateTime reportedAt) {
        PipelineStage stage = PipelineStage.of(report.stage()).orElseThrow(
                () -> new MalformedEventException("unknown stage '" + report.stage() + "'", null));
        UUID buildId = buildId(report.build().buildId());
        return pool.preparedQuery("""
                update build set progress_stage = $1, progress_phase = $2, progress_percent = $3,
                       progress_waiting_for = $4, progress_detail = $5, progress_at = $6, updated_at = $7
                where id = $8 and state = any ($9) and (progress_stage is null or progress_stage = any ($10)
                       or (progress_stage = $1 and progress_at < $6))
                      and team = $11 and target_cloud = $12 and target_format = $13
                      and exists (select 1 from image_spec s where s.id = build.spec_id and s.name = $14
                                  and s.version = $15 and s.digest = $16)""")
                .execute(Tuple.from(Arrays.asList(stage.id(), report.phase(), (short) report.percent(),
                        report.waitingFor(), report.detail(), reportedAt, OffsetDateTime.now(ZoneOffset.UTC), buildId,
                        names(stage.statesWhileCurrent()), stage.earlierStages().toArray(String[]::new),
                        report.build().team(), report.build().target().cloud(), report.build().target().format(),
                        report.build().specName(), report.build().specVersion(), report.build().specDigest())))
                .replaceWithVoid();
    }

    /**
     * @return the build, locked, when this is the event's first delivery; null when it was recorded before
     * @throws MalformedEventException (as the failure) when the event names a build this service never created
     */
    private static Uni<BuildEntity> recordFirstDelivery(SqlConnection connection, String eventId, UUID buildId,
            String type, String source, OffsetDateTime occurredAt, String summary) {
        return connection.preparedQuery(RECORD_AND_LOCK)
                .execute(Tuple.from(Arrays.asList(eventId, buildId, type, source, occurredAt, summary)))
                // The timeline's foreign key is the check that the build exists, at no cost to known ones.
                .onFailure(failure -> PostgresOutages.hasSqlState(failure, FOREIGN_KEY_VIOLATION))
                .transform(failure -> new MalformedEventException("unknown build " + buildId, null))
                .map(rows -> rows.size() == 0 ? null : BuildRows.buildWithSpec(rows.iterator().next()));
    }

    private static Uni<BuildTransition> project(SqlConnection connection, BuildEntity build, BuildUpdate update,
            OffsetDateTime occurredAt) {
        BuildState before = BuildProjection.project(build, update, OffsetDateTime.now(ZoneOffset.UTC));
        BuildState passed = BuildProjection.passedThrough(update.reached(), build.state) ? update.reached() : null;
        return connection.preparedQuery(WRITE)
                .execute(Tuple.from(Arrays.asList(build.id, build.state.name(), build.artifactUri,
                        build.artifactSha256, build.artifactSize, build.packReference, build.failureStage,
                        build.failureCode, build.failureReason, build.failureCategory, build.failureAttempts,
                        build.bootTestResult, build.bootTestDetail, build.bootTestMillis, build.progressStage,
                        build.progressPhase, build.progressPercent, build.progressWaitingFor, build.progressDetail,
                        build.progressAt, passed == null ? null : passed.name(), occurredAt,
                        passed == null ? new String[0] : names(BuildState.after(passed)), build.updatedAt)))
                .replaceWith(BuildTransition.of(build, before));
    }

    private static String[] names(List<BuildState> states) {
        return states.stream().map(BuildState::name).toArray(String[]::new);
    }

    private static UUID buildId(String buildId) {
        try {
            return UUID.fromString(buildId);
        } catch (IllegalArgumentException e) {
            throw new MalformedEventException("buildId '" + buildId + "' is not a UUID", e);
        }
    }
}
