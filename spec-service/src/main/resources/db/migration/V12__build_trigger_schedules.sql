-- Why each build exists (BuildTrigger's wire value). Builds from before the column were all
-- submitted, retried or rebuilt by webhook; which one is not known, so they read as manual.
alter table build add column build_trigger varchar(32) not null default 'manual';

-- The live stream's shape (V5) gains the trigger, as GET /api/v1/builds lists it.
create or replace function build_changed() returns trigger language plpgsql as $$
declare
    spec record;
begin
    if tg_op = 'INSERT' or new.state is distinct from old.state then
        insert into build_transition (build_id, state, entered_at) values (new.id, new.state, now())
            on conflict do nothing;
    end if;
    select name, version into spec from image_spec where id = new.spec_id;
    perform pg_notify('byoos_build_changed', json_strip_nulls(json_build_object(
        'id', new.id,
        'team', new.team,
        'spec', spec.name,
        'specVersion', spec.version,
        'target', json_build_object('cloud', new.target_cloud, 'format', new.target_format),
        'attempt', new.attempt,
        'trigger', new.build_trigger,
        'state', new.state,
        'createdAt', new.created_at,
        'updatedAt', new.updated_at,
        'href', '/api/v1/builds/' || new.id,
        'progress', case when new.progress_stage is not null then json_build_object(
            'stage', new.progress_stage,
            'phase', new.progress_phase,
            'percent', new.progress_percent,
            'waitingFor', new.progress_waiting_for,
            'detail', left(new.progress_detail, 300),
            'reportedAt', new.progress_at) end,
        'failure', case when new.failure_code is not null then json_build_object(
            'stage', new.failure_stage,
            'code', new.failure_code,
            'reason', left(new.failure_reason, 1000),
            'category', new.failure_category,
            'attempts', new.failure_attempts) end))::text);
    return null;
end
$$;

-- A spec's schedules (SpecSchedules): a 5-field Unix cron expression read in an IANA time zone.
-- next_fire_at is the claim: a replica fires a schedule only if its update from the next_fire_at it
-- read to the following one changes a row, so each firing happens once across replicas. A paused
-- schedule keeps its row; resuming computes next_fire_at afresh, so firings missed meanwhile do not
-- all happen at once.
create table spec_schedule (
    id             uuid          primary key,
    team           varchar(63)   not null,
    spec_name      varchar(253)  not null,
    cron           varchar(100)  not null,
    time_zone      varchar(64)   not null,
    paused         boolean       not null default false,
    next_fire_at   timestamptz   not null,
    last_fired_at  timestamptz,
    last_outcome   varchar(1000),
    created_by     varchar(256)  not null,
    created_at     timestamptz   not null
);
create index spec_schedule_by_spec on spec_schedule (team, spec_name);
create index spec_schedule_due on spec_schedule (next_fire_at) where not paused;
