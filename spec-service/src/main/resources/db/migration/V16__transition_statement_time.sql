-- A state's entry time is when the statement that changed the build ran, not when its transaction
-- began (now()). The outbox relay's transaction begins before it reads the records to send, and an
-- intake can commit in between: with now(), that build's QUEUED was dated before its ACCEPTED and
-- its timeline listed them out of order. Same function as V12 otherwise.
create or replace function build_changed() returns trigger language plpgsql as $$
declare
    spec record;
begin
    if tg_op = 'INSERT' or new.state is distinct from old.state then
        insert into build_transition (build_id, state, entered_at) values (new.id, new.state, statement_timestamp())
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
