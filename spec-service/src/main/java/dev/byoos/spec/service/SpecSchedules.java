package dev.byoos.spec.service;

import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.NotFoundException;

import org.jboss.logging.Logger;

import io.opentelemetry.instrumentation.annotations.WithSpan;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

import dev.byoos.spec.BuildTrigger;
import dev.byoos.spec.config.SpecServiceConfig;
import dev.byoos.spec.repository.ScheduleStore;
import dev.byoos.spec.repository.ScheduleStore.SpecSchedule;
import dev.byoos.spec.repository.SpecEntity;

/**
 * A spec's schedules: create, pause, resume, delete, and firing. Every replica ticks; a due
 * schedule is fired by the replica whose claim ({@link ScheduleStore#claim}) moves it to its
 * following firing, so each firing happens once across replicas. A firing is a
 * {@link NextPackVersionRebuilds} with trigger {@code schedule}. The claim commits before the
 * rebuild: a rebuild that fails (the outcome says why) is not repeated until the next firing, and
 * firings missed while no replica ran, or while paused, collapse into one.
 */
@ApplicationScoped
public class SpecSchedules {

    private static final Logger LOG = Logger.getLogger(SpecSchedules.class);

    private final ScheduleStore store;
    private final NextPackVersionRebuilds rebuilds;
    private final Clock clock;
    private final SpecServiceConfig.Schedules config;

    public SpecSchedules(ScheduleStore store, NextPackVersionRebuilds rebuilds, Clock clock, SpecServiceConfig config) {
        this.store = store;
        this.rebuilds = rebuilds;
        this.clock = clock;
        this.config = config.schedules();
    }

    /**
     * @throws BadRequestException       for an unreadable cron expression or time zone, or one firing too often
     * @throws NotFoundException         when the team has no such spec
     * @throws NoVersionPolicyException  when the spec's latest version states no pack.versionPolicy
     */
    @WithSpan("schedule.create")
    public Uni<SpecSchedule> create(String team, String specName, String cron, String timeZone, String createdBy) {
        Instant now = clock.instant();
        CronSchedule schedule = checked(cron, timeZone);
        firstFiring(schedule, cron, now);
        try {
            schedule.requireMinInterval(config.minInterval(), now);
        } catch (IllegalArgumentException e) {
            throw new BadRequestException(e.getMessage());
        }
        return Panache.withSession(() -> SpecEntity.latest(team, specName))
                .onItem().ifNull().failWith(() -> new NotFoundException("team " + team + " has no spec " + specName))
                .invoke(latest -> {
                    if (CanonicalSpecs.read(latest).spec().pack().versionPolicy() == null) {
                        throw new NoVersionPolicyException(team, specName);
                    }
                })
                .flatMap(latest -> store.insert(new SpecSchedule(UUID.randomUUID(), team, specName, cron.trim(), timeZone,
                        false, firstFiring(schedule, cron, now), null, null, createdBy, now.atOffset(ZoneOffset.UTC))));
    }

    public Uni<List<SpecSchedule>> list(String team, String specName) {
        return store.list(team, specName);
    }

    /** Stops firing; the schedule is kept. */
    @WithSpan("schedule.pause")
    public Uni<SpecSchedule> pause(String team, String specName, UUID id) {
        return existing(team, specName, id).flatMap(schedule -> store.setPaused(id, true, schedule.nextFireAt()))
                .flatMap(changed -> existing(team, specName, id));
    }

    /** Fires again from the next time the expression names; firings missed while paused are not made up. */
    @WithSpan("schedule.resume")
    public Uni<SpecSchedule> resume(String team, String specName, UUID id) {
        return existing(team, specName, id)
                .flatMap(schedule -> store.setPaused(id, false, firstFiring(
                        checked(schedule.cron(), schedule.timeZone()), schedule.cron(), clock.instant())))
                .flatMap(changed -> existing(team, specName, id));
    }

    @WithSpan("schedule.delete")
    public Uni<Void> delete(String team, String specName, UUID id) {
        return existing(team, specName, id).flatMap(schedule -> store.delete(id)).replaceWithVoid();
    }

    /**
     * Fires a schedule now, outside its times ("run now"), as the ticker would: the next pack
     * version per the spec's policy, trigger {@code schedule}. Its own times are left as they are.
     *
     * @throws NotFoundException        when the spec has no such schedule (or the team no such spec)
     * @throws NoVersionPolicyException when the spec's latest version no longer states a policy
     */
    @WithSpan("schedule.run-now")
    public Uni<SpecIntake.Accepted> runNow(String team, String specName, UUID id, String actor) {
        return existing(team, specName, id)
                .flatMap(schedule -> rebuilds.rebuild(team, specName, BuildTrigger.SCHEDULE))
                .call(accepted -> store.recordOutcome(id, "run now by " + actor + ": spec version "
                        + accepted.spec().version + ", pack " + accepted.spec().packVersion));
    }

    @Scheduled(every = "${byoos.spec.schedules.tick-interval}", delayed = "${byoos.spec.schedules.tick-interval}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> tick() {
        return fireDue(clock.instant())
                .onFailure().invoke(failure -> LOG.warnf("schedules: tick failed; the next one retries: %s", failure))
                .onFailure().recoverWithNull().replaceWithVoid();
    }

    /** Fires every schedule due at {@code now} that this caller claims; how many it fired. */
    @WithSpan("schedule.fire-due")
    public Uni<Integer> fireDue(Instant now) {
        return store.due(now.atOffset(ZoneOffset.UTC), config.batchSize())
                .flatMap(due -> Multi.createFrom().iterable(due)
                        .onItem().transformToUniAndConcatenate(schedule -> fire(schedule, now))
                        .collect().asList())
                .map(fired -> (int) fired.stream().filter(Boolean::booleanValue).count());
    }

    /**
     * Claims the firing of {@code schedule} as it was read (its next_fire_at); true for the one
     * caller that moved it on to its following firing after {@code now}.
     */
    public Uni<Boolean> claim(SpecSchedule schedule, Instant now) {
        return claim(schedule, checked(schedule.cron(), schedule.timeZone()).nextAfter(now), now);
    }

    private Uni<Boolean> claim(SpecSchedule schedule, OffsetDateTime following, Instant now) {
        return store.claim(schedule.id(), schedule.nextFireAt(), following, now.atOffset(ZoneOffset.UTC));
    }

    /**
     * Fires one due schedule. One that cannot be fired (its stored times no longer read here, or it
     * has no firing left) is paused saying why, rather than failing the tick before the schedules
     * behind it, every tick: resuming checks it again.
     */
    private Uni<Boolean> fire(SpecSchedule schedule, Instant now) {
        OffsetDateTime following;
        try {
            following = CronSchedule.parse(schedule.cron(), schedule.timeZone()).nextAfter(now);
        } catch (IllegalArgumentException unreadable) {
            // Written by an image whose cron parser or time-zone data accepted it (a rollback, or
            // replicas on two images): "Europe/Kyiv" is unknown to older time-zone data.
            return pauseUnfireable(schedule, "paused: " + unreadable.getMessage() + " (as this spec-service reads"
                    + " it); resuming checks it again; or delete it and create one this service accepts");
        }
        if (following == null) {
            return pauseUnfireable(schedule, "paused: cron \"" + schedule.cron() + "\" names no time after " + now);
        }
        return claim(schedule, following, now).flatMap(won -> !won ? Uni.createFrom().item(false)
                : rebuilds.rebuild(schedule.team(), schedule.specName(), BuildTrigger.SCHEDULE)
                        .map(accepted -> "spec version " + accepted.spec().version + ", pack "
                                + accepted.spec().packVersion)
                        .onFailure().recoverWithItem(failure -> "failed: " + failure.getMessage())
                        .invoke(outcome -> LOG.infof("schedule %s of spec %s/%s fired: %s", schedule.id(),
                                schedule.team(), schedule.specName(), outcome))
                        .flatMap(outcome -> store.recordOutcome(schedule.id(), outcome))
                        .replaceWith(true));
    }

    private Uni<Boolean> pauseUnfireable(SpecSchedule schedule, String outcome) {
        return store.pauseUnfireable(schedule.id(), schedule.nextFireAt(), outcome)
                .invoke(paused -> {
                    if (paused) {
                        LOG.warnf("schedule %s of spec %s/%s %s", schedule.id(), schedule.team(), schedule.specName(),
                                outcome);
                    }
                })
                .replaceWith(false);
    }

    /** When {@code schedule} fires first after {@code now}; refused if it never does (30 February). */
    private static OffsetDateTime firstFiring(CronSchedule schedule, String cron, Instant now) {
        OffsetDateTime first = schedule.nextAfter(now);
        if (first == null) {
            throw new BadRequestException("cron \"" + cron + "\" never fires: it names no date that exists (such as"
                    + " 30 February)");
        }
        return first;
    }

    private Uni<SpecSchedule> existing(String team, String specName, UUID id) {
        return store.find(team, specName, id).onItem().ifNull().failWith(() -> new NotFoundException(
                "spec " + specName + " of team " + team + " has no schedule " + id));
    }

    private static CronSchedule checked(String cron, String timeZone) {
        try {
            return CronSchedule.parse(cron, timeZone);
        } catch (IllegalArgumentException e) {
            throw new BadRequestException(e.getMessage());
        }
    }
}
