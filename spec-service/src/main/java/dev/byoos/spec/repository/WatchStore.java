package dev.byoos.spec.repository;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * The input watcher's tables (V13). Plain SQL on the pool like {@link ScheduleStore}: every
 * decision that must be made once across replicas is one conditional statement whose row count
 * says which replica made it.
 */
@ApplicationScoped
public class WatchStore {

    /** The latest version of a spec, as stored. */
    public record LatestSpec(String team, String name, String id, String document) {
    }

    /** A base's last observation. */
    public record BaseObservation(String mirror, String suite, String digest, String releaseDate) {
    }

    private final Pool pool;

    public WatchStore(Pool pool) {
        this.pool = pool;
    }

    /**
     * Claims the check due at {@code now}, moving the next one to {@code next}; of replicas that
     * race for it one gets true (PostgreSQL re-checks the condition after a concurrent update).
     */
    public Uni<Boolean> claimCheck(OffsetDateTime now, OffsetDateTime next) {
        return pool.preparedQuery("update input_watch set next_check_at = $2 where name = 'inputs'"
                + " and next_check_at <= $1").execute(Tuple.of(now, next)).map(rows -> rows.rowCount() == 1);
    }

    /** The latest version of every spec whose {@code spec.updates.<input>} is notify or rebuild. */
    public Uni<List<LatestSpec>> watching(String input) {
        return pool.preparedQuery("""
                select team, name, id, document from (
                    select distinct on (team, name) team, name, id, document from image_spec
                    order by team, name, version desc) latest
                where document::jsonb -> 'spec' -> 'updates' ->> $1 in ('notify', 'rebuild')
                order by team, name""").execute(Tuple.of(input)).map(rows -> {
                    List<LatestSpec> specs = new ArrayList<>();
                    for (Row row : rows) {
                        specs.add(new LatestSpec(row.getString("team"), row.getString("name"),
                                row.getUUID("id").toString(), row.getString("document")));
                    }
                    return specs;
                });
    }

    /** The base's last observation, or null before the first. */
    public Uni<BaseObservation> base(String mirror, String suite) {
        return pool.preparedQuery("select mirror, suite, digest, release_date from base_observation"
                + " where mirror = $1 and suite = $2").execute(Tuple.of(mirror, suite))
                .map(rows -> rows.rowCount() == 0 ? null : observation(rows.iterator().next()));
    }

    /** Records a first observation; false when another replica recorded one first. */
    public Uni<Boolean> baseline(BaseObservation observed, OffsetDateTime now) {
        return pool.preparedQuery("insert into base_observation (mirror, suite, digest, release_date, observed_at)"
                + " values ($1, $2, $3, $4, $5) on conflict do nothing")
                .execute(Tuple.of(observed.mirror(), observed.suite(), observed.digest(), observed.releaseDate(), now))
                .map(rows -> rows.rowCount() == 1);
    }

    /** Moves the base from the digest it was seen with to the observed one; true for the one replica that did. */
    public Uni<Boolean> claimChange(String seenDigest, BaseObservation observed, OffsetDateTime now) {
        return pool.preparedQuery("update base_observation set digest = $4, release_date = $5, observed_at = $6,"
                + " changed_at = $6 where mirror = $1 and suite = $2 and digest = $3")
                .execute(Tuple.from(List.of(observed.mirror(), observed.suite(), seenDigest, observed.digest()))
                        .addValue(observed.releaseDate()).addValue(now))
                .map(rows -> rows.rowCount() == 1);
    }

    /** Claims acting on a patch release for a spec; true once per spec and patch. */
    public Uni<Boolean> claimPatch(String team, String specName, String patch, OffsetDateTime now) {
        return pool.preparedQuery("insert into kubernetes_patch_notice (team, spec_name, patch, noticed_at)"
                + " values ($1, $2, $3, $4) on conflict do nothing").execute(Tuple.of(team, specName, patch, now))
                .map(rows -> rows.rowCount() == 1);
    }

    private static BaseObservation observation(Row row) {
        return new BaseObservation(row.getString("mirror"), row.getString("suite"), row.getString("digest"),
                row.getString("release_date"));
    }
}
