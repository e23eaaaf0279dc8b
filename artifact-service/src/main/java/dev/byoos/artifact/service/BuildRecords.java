package dev.byoos.artifact.service;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.opentelemetry.instrumentation.annotations.WithSpan;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Context;
import io.vertx.mutiny.core.Vertx;

import dev.byoos.artifact.config.BuildRecordConfig;
import dev.byoos.artifact.repository.BuildRecordEntity;
import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.EventJson;

/**
 * This service's own knowledge of each build, learned from {@code build.requested}: the only source
 * of an artifact's team, spec and pack. A {@code build.completed} is believed only as far as it
 * agrees with it.
 */
@ApplicationScoped
public class BuildRecords {

    private static final Logger LOG = Logger.getLogger(BuildRecords.class);

    private final Vertx vertx;
    private final BuildRecordConfig config;
    private final DependencyWaits waits;

    public BuildRecords(Vertx vertx, BuildRecordConfig config, DependencyWaits waits) {
        this.vertx = vertx;
        this.config = config;
        this.waits = waits;
    }

    /**
     * Keeps the first request of a build; a redelivered (or repeated) request changes nothing. While
     * the database is down it waits (and the partition with it): the request is never dropped.
     */
    @WithSpan
    public Uni<Void> remember(BuildCoordinates build) {
        UUID buildId = UUID.fromString(build.buildId());
        return waits.database(() -> Panache.withTransaction(() -> BuildRecordEntity.findByBuild(buildId)
                                .flatMap(existing -> existing != null ? Uni.createFrom().voidItem()
                                        : newRecord(buildId, build).persist().replaceWithVoid()))
                        // Two consumers of a rebalancing partition may insert the same build: the first stands.
                        .onFailure().recoverWithUni(failure -> Panache.withSession(
                                        () -> BuildRecordEntity.findByBuild(buildId))
                                .onItem().ifNull().failWith(failure).replaceWithVoid()),
                waiting -> LOG.warnf("build %s: request not recorded, %s unavailable (attempt %d), retrying: %s",
                        buildId, waiting.dependency(), waiting.attempt(), waiting.failure().getMessage()));
    }

    /**
     * The build as it was requested, waiting up to {@code byoos.artifact.build-records.unknown-build-wait}
     * for a request still on its way.
     *
     * @throws UntrustedEventException UNKNOWN_BUILD when no request for the build arrived
     */
    public Uni<BuildCoordinates> requested(UUID buildId) {
        // Retries resubscribe from Mutiny's timer threads; Hibernate Reactive must run on this context.
        Context context = vertx.getOrCreateContext();
        return Uni.createFrom().deferred(() -> Panache.withSession(() -> BuildRecordEntity.findByBuild(buildId)))
                .runSubscriptionOn(command -> context.runOnContext(command))
                .onItem().ifNull().failWith(() -> new UntrustedEventException(UntrustedEventException.UNKNOWN_BUILD,
                        "build " + buildId + " was never requested (no build.requested for it within "
                                + config.unknownBuildWait() + ")"))
                .onFailure(UntrustedEventException.class).retry()
                .withBackOff(Duration.ofMillis(200), Duration.ofSeconds(2))
                .expireIn(config.unknownBuildWait().toMillis())
                // Mutiny reports the last attempt's failure as the cause of its own "retries exhausted".
                .onFailure(failure -> failure.getCause() instanceof UntrustedEventException)
                .transform(Throwable::getCause)
                .emitOn(command -> context.runOnContext(command))
                .map(record -> EventJson.read(record.coordinates, BuildCoordinates.class));
    }

    private static BuildRecordEntity newRecord(UUID buildId, BuildCoordinates build) {
        BuildRecordEntity record = new BuildRecordEntity();
        record.buildId = buildId;
        record.team = build.team();
        record.specName = build.specName();
        record.specVersion = build.specVersion();
        record.specDigest = build.specDigest();
        record.packName = build.pack().name();
        record.coordinates = EventJson.write(build);
        record.recordedAt = OffsetDateTime.now(ZoneOffset.UTC);
        return record;
    }
}
