package dev.byoos.spec.repository;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;

/**
 * The spec_schedule table (V12). Plain SQL on the pool rather than an entity: the claim is one
 * conditional UPDATE whose row count decides which replica fires, and nothing here needs a session.
 */
@ApplicationScoped
public class ScheduleStore {

    private static final String COLUMNS = "id, team, spec_name, cron, time_zone, paused, next_fire_at, last_fired_at,"
            + " last_outcome, created_by, created_at";

    /** One schedule as stored. */
    public record SpecSchedule(UUID id, String team, String specName, String cron, String timeZone, boolean paused,
            OffsetDateTime nextFireAt, OffsetDateTime lastFiredAt, String lastOutcome, String createdBy,
            OffsetDateTime createdAt) {
    }

    private final Pool pool;

    public ScheduleStore(Pool pool) {
        this.pool = pool;
    }

    public Uni<SpecSchedule> insert(SpecSchedule schedule) {
        return pool.preparedQuery("insert into spec_schedule (" + COLUMNS + ") values ($1, $2, $3, $4, $5, $6, $7, $8,"
                + " $9, $10, $11)").execute(Tuple.from(List.of(schedule.id(), schedule.team(), schedule.specName(),
                        schedule.cron(), schedule.timeZone(), schedule.paused(), schedule.nextFireAt()))
                        .addValue(schedule.lastFiredAt()).addValue(schedule.lastOutcome())
                        .addValue(schedule.createdBy()).addValue(schedule.createdAt()))
                .replaceWith(schedule);
    }

    public Uni<List<SpecSchedule>> list(String team, String specName) {
        return pool.preparedQuery("select " + COLUMNS + " from spec_schedule where team = $1 and spec_name = $2"
                + " order by created_at, id").execute(Tuple.of(team, specName)).map(ScheduleStore::schedules);
    }

    /** The schedule, or null when the spec of the team has no schedule with that id. */
    public Uni<SpecSchedule> find(String team, String specName, UUID id) {
        return pool.preparedQuery("select " + COLUMNS + " from spec_schedule where id = $1 and team = $2"
                + " and spec_name = $3").execute(Tuple.of(id, team, specName))
                .map(rows -> schedules(rows).stream().findFirst().orElse(null));
    }

    /** Pauses, or resumes with the given next firing; false when there is no such schedule. */
    public Uni<Boolean> setPaused(UUID id, boolean paused, OffsetDateTime nextFireAt) {
        return pool.preparedQuery("update spec_schedule set paused = $2, next_fire_at = $3 where id = $1")
                .execute(Tuple.of(id, paused, nextFireAt)).map(rows -> rows.rowCount() == 1);
    }

    public Uni<Boolean> delete(UUID id) {
        return pool.preparedQuery("delete from spec_schedule where id = $1").execute(Tuple.of(id))
                .map(rows -> rows.rowCount() == 1);
    }

    /** Unpaused schedules due at {@code now}, the most overdue first. */
    public Uni<List<SpecSchedule>> due(OffsetDateTime now, int limit) {
        return pool.preparedQuery("select " + COLUMNS + " from spec_schedule where not paused and next_fire_at <= $1"
                + " order by next_fire_at limit $2").execute(Tuple.of(now, limit)).map(ScheduleStore::schedules);
    }

    /**
     * Claims one firing: moves the schedule from the next_fire_at it was seen with to the following
     * one. Of replicas that saw the same next_fire_at exactly one changes the row (PostgreSQL
     * re-checks the condition after a concurrent update commits); the others get false.
     */
    public Uni<Boolean> claim(UUID id, OffsetDateTime seen, OffsetDateTime following, OffsetDateTime now) {
        return pool.preparedQuery("update spec_schedule set next_fire_at = $3, last_fired_at = $4"
                + " where id = $1 and next_fire_at = $2 and not paused")
                .execute(Tuple.of(id, seen, following, now)).map(rows -> rows.rowCount() == 1);
    }

    /**
     * Pauses a due schedule that cannot be fired, with why as its outcome, unless another caller
     * moved it on or paused it meanwhile; true when this call paused it.
     */
    public Uni<Boolean> pauseUnfireable(UUID id, OffsetDateTime seen, String outcome) {
        String text = outcome.length() > 1000 ? outcome.substring(0, 1000) : outcome;
        return pool.preparedQuery("update spec_schedule set paused = true, last_outcome = $3"
                + " where id = $1 and next_fire_at = $2 and not paused")
                .execute(Tuple.of(id, seen, text)).map(rows -> rows.rowCount() == 1);
    }

    /** What the latest firing did (a new spec version, or why it failed), cut to the column's size. */
    public Uni<Void> recordOutcome(UUID id, String outcome) {
        String text = outcome.length() > 1000 ? outcome.substring(0, 1000) : outcome;
        return pool.preparedQuery("update spec_schedule set last_outcome = $2 where id = $1")
                .execute(Tuple.of(id, text)).replaceWithVoid();
    }

    private static List<SpecSchedule> schedules(RowSet<Row> rows) {
        List<SpecSchedule> schedules = new ArrayList<>();
        for (Row row : rows) {
            schedules.add(new SpecSchedule(row.getUUID("id"), row.getString("team"), row.getString("spec_name"),
                    row.getString("cron"), row.getString("time_zone"), row.getBoolean("paused"),
                    row.getOffsetDateTime("next_fire_at"), row.getOffsetDateTime("last_fired_at"),
                    row.getString("last_outcome"), row.getString("created_by"), row.getOffsetDateTime("created_at")));
        }
        return schedules;
    }
}
