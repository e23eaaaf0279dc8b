package dev.byoos.spec.service;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import io.opentelemetry.instrumentation.annotations.SpanAttribute;
import io.opentelemetry.instrumentation.annotations.WithSpan;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;

import dev.byoos.service.TeamScope;
import dev.byoos.spec.BuildTrigger;
import dev.byoos.spec.model.ImageSpec;
import dev.byoos.spec.repository.BuildEntity;

/** Builds a target again after its build failed or was cancelled, as the next attempt. */
@ApplicationScoped
public class BuildRetries {

    private final AfterCommit afterCommit;

    public BuildRetries(AfterCommit afterCommit) {
        this.afterCommit = afterCommit;
    }

    /**
     * Builds a failed target again, as the next attempt of the same spec version and target.
     * Only the latest attempt of a target can be retried, and only when it failed.
     */
    @WithSpan("build.retry")
    public Uni<BuildEntity> retry(@SpanAttribute("byoos.build.id") UUID buildId, TeamScope scope) {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        return Panache.withTransaction(() -> Transactions.lockVisibleBuild(buildId, scope)
                .flatMap(build -> {
                    if (!build.state.canBeBuiltAgain()) {
                        return Uni.createFrom().failure(new BuildConflictException(
                                "only a FAILED or CANCELLED build can be retried; build " + buildId + " is " + build.state));
                    }
                    return BuildEntity.<BuildEntity>find("spec = ?1 and targetCloud = ?2 order by attempt desc",
                            build.spec, build.targetCloud).firstResult()
                            .flatMap(latest -> {
                                if (!latest.id.equals(build.id)) {
                                    return Uni.createFrom().failure(new BuildConflictException("build " + buildId
                                            + " was already retried as attempt " + latest.attempt + ": /api/v1/builds/"
                                            + latest.id));
                                }
                                ImageSpec spec = CanonicalSpecs.read(build.spec);
                                BuildEntity retry = SpecBuilds.newBuild(build.spec, BuildRequests.target(spec, build),
                                        build.attempt + 1, now, BuildTrigger.RETRY);
                                return retry.<BuildEntity>persist()
                                        .flatMap(ignored -> OutboxRecords.buildRequested(spec, build.spec, retry, now)
                                                .persist())
                                        .replaceWith(retry);
                            });
                }))
                // Two concurrent retries of one build: the unique (spec, target, attempt) lets one win.
                .onFailure(Transactions::isUniqueViolation).transform(failure -> new BuildConflictException(
                        "build " + buildId + " is being retried by another request"))
                .invoke(retry -> afterCommit.created(List.of(retry)));
    }
}
