package dev.byoos.artifact.service;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import io.opentelemetry.instrumentation.annotations.WithSpan;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Context;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;

import dev.byoos.artifact.config.BuildRecordConfig;
import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.EventJson;

/**
 * This service's own knowledge of each build, learned from {@code build.requested}: the only source
 * of an artifact's team, spec and pack. A {@code build.completed} is believed only as far as it
 * agrees with it.
 *
 * <p>Plain SQL on the reactive pool, not Hibernate: every build passes here twice (its request, then
 * its completion), and one statement each is what that needs; an entity session, lookup and flush
 * cost several times the CPU for the same effect.
 */
@ApplicationScoped
public class BuildRecords {

    private static final Logger LOG = Logger.getLogger(BuildRecords.class);
    /** The first request of a build stands: a redelivered or repeated one (or a racing replica's) inserts nothing. */
    private static final String REMEMBER = "insert into build_record (build_id, team, spec_name, spec_version, "
            + "spec_digest, pack_name, coordinates, recorded_at) values ($1, $2, $3, $4, $5, $6, $7, $8) "
            + "on conflict (build_id) do nothing";
    private static final String REQUESTED = "select coordinates from build_record where build_id = $1";

    private final Vertx vertx;
    private final Pool pool;
    private final BuildRecordConfig config;
    private final DependencyWaits waits;

    public BuildRecords(Vertx vertx, Pool pool, BuildRecordConfig config, DependencyWaits waits) {
        this.vertx = vertx;
        this.pool = pool;
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
        return waits.database(() -> pool.preparedQuery(REMEMBER).execute(Tuple.from(List.of(buildId, build.team(),
                                build.specName(), build.specVersion(), build.specDigest(), build.pack().name(),
                                EventJson.write(build), OffsetDateTime.now(ZoneOffset.UTC))))
                        .replaceWithVoid(),
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
        // The caller's work goes on on this (the message's) context; retries come from timer threads.
        Context context = vertx.getOrCreateContext();
        return Uni.createFrom().deferred(() -> pool.preparedQuery(REQUESTED).execute(Tuple.of(buildId)))
                .map(BuildRecords::coordinates)
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
                .map(coordinates -> EventJson.read(coordinates, BuildCoordinates.class));
    }

    /** @return the recorded coordinates' JSON, or null when the build has no record */
    private static String coordinates(RowSet<Row> rows) {
        return rows.iterator().hasNext() ? rows.iterator().next().getString("coordinates") : null;
    }
}
