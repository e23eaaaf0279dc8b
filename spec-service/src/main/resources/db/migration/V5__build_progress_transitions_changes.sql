-- How far the current stage is with a build (byoos.builds.progress): the latest report only.
-- progress_at is the report's CloudEvent time; an older or repeated report never replaces a newer one.
alter table build add column progress_stage       varchar(16);
alter table build add column progress_phase       varchar(64);
alter table build add column progress_percent     smallint;
alter table build add column progress_waiting_for varchar(64);
alter table build add column progress_detail      text;
alter table build add column progress_at          timestamptz;
-- BuildFailed's category (spec, infrastructure, builder) and how often the stage tried.
alter table build add column failure_category     varchar(16);
alter table build add column failure_attempts     integer;

-- When each build entered each state. States only move forward, so a build enters a state at
-- most once: (build_id, state) is the key.
create table build_transition (
    build_id    uuid         not null references build (id),
    state       varchar(16)  not null,
    entered_at  timestamptz  not null,
    primary key (build_id, state)
);
-- Throughput per stage: transitions into a state within a recent window.
create index build_transition_state_entered on build_transition (state, entered_at);

insert into build_transition (build_id, state, entered_at)
    select id, 'ACCEPTED', created_at from build where state <> 'REUSED';
insert into build_transition (build_id, state, entered_at)
    select id, state, updated_at from build where state <> 'ACCEPTED'
    on conflict do nothing;

-- Every writer of a build (intake, outbox relay, event consumers, cancel, retry; bulk HQL updates
-- included) records its state transitions and announces the change here, so none of them has to
-- remember to. The announcement goes to every spec-service replica listening on the channel when
-- the transaction commits (BuildChangeFeed): each replica streams every change, whichever replica
-- consumed the event. Its payload is the build as GET /api/v1/builds lists it; texts are cut short
-- because a notification must stay under 8000 bytes.
create function build_changed() returns trigger language plpgsql as $$
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

create trigger build_changed after insert or update on build
    for each row execute function build_changed();
