package dev.byoos.spec.service;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.enterprise.context.ApplicationScoped;

import io.opentelemetry.instrumentation.annotations.SpanAttribute;
import io.opentelemetry.instrumentation.annotations.WithSpan;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;

import dev.byoos.contract.BuildCancelled;
import dev.byoos.contract.EventIds;
import dev.byoos.contract.EventJson;
import dev.byoos.contract.EventTypes;
import dev.byoos.contract.Topics;
import dev.byoos.service.TeamScope;
import dev.byoos.spec.BuildState;
import dev.byoos.spec.observability.BuildMetrics;
import dev.byoos.spec.repository.BuildEntity;
import dev.byoos.spec.repository.BuildEventEntity;

/** Stops an unfinished build, in the read model and, through the outbox, on every worker. */
@ApplicationScoped
public class BuildCancellation {

    private final AfterCommit afterCommit;

    public BuildCancellation(AfterCommit afterCommit) {
        this.afterCommit = afterCommit;
    }

    /**
     * Cancels a build that is not built yet: CANCELLED in the read model, and a {@code build.cancelled}
     * event through the outbox (same transaction) that tells every worker to stop or skip it. Later
     * events are recorded in its timeline; only one saying the worker finished it anyway moves it on
     * ({@link BuildState#advanceTo}).
     *
     * @throws TooLateToCancelException (as the failure) once the build is BUILT or later, or finished:
     *         nothing would stop its image from being stored and published
     */
    @WithSpan("build.cancel")
    public Uni<BuildEntity> cancel(@SpanAttribute("byoos.build.id") UUID buildId, TeamScope scope, String requestedBy) {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        AtomicReference<BuildState> before = new AtomicReference<>();
        return Panache.withTransaction(() -> Transactions.lockVisibleBuild(buildId, scope).flatMap(build -> {
            before.set(build.state);
            if (!build.state.canBeCancelled()) {
                return Uni.createFrom().failure(new TooLateToCancelException(buildId, build.state));
            }
            build.state = BuildState.CANCELLED;
            build.forgetProgressOfPastStages();
            build.cancelledBy = requestedBy;
            build.updatedAt = now;
            BuildCancelled event = new BuildCancelled(
                    BuildRequests.coordinates(CanonicalSpecs.read(build.spec), build.spec, build), requestedBy);
            return BuildEventEntity.recordFirstDelivery(EventIds.forStage(buildId.toString(), EventTypes.BUILD_CANCELLED),
                    buildId, EventTypes.BUILD_CANCELLED, SpecIntake.SOURCE, now, "cancelled by " + requestedBy)
                    .flatMap(ignored -> OutboxRecords.record(buildId, EventTypes.BUILD_CANCELLED, Topics.BUILDS_CANCELLED,
                            EventJson.write(event), now).persist())
                    .replaceWith(build);
        })).invoke(cancelled -> afterCommit.transitioned(BuildMetrics.BuildTransition.of(cancelled, before.get())));
    }
}
