-- Idempotency keys belong to the team that used them: another team's request with the same key is
-- a different request, and must not learn the first one's outcome.
alter table idempotency_key add column team varchar(63);
update idempotency_key k set team = s.team from image_spec s where s.id = k.spec_id;
alter table idempotency_key alter column team set not null;
alter table idempotency_key drop constraint idempotency_key_pkey;
alter table idempotency_key add primary key (team, key);

-- A pack name (and the Edge image repository named after it) belongs to the team that used it
-- first. Existing specs claim their names in the order they were stored.
create table pack_name (
    name        varchar(63)  primary key,
    team        varchar(63)  not null,
    claimed_at  timestamptz  not null
);
insert into pack_name (name, team, claimed_at)
select distinct on (document::jsonb #>> '{spec,pack,name}') document::jsonb #>> '{spec,pack,name}', team, created_at
from image_spec order by document::jsonb #>> '{spec,pack,name}', created_at;

-- Webhook deliveries seen per source, kept until their signed timestamp leaves the replay window.
create table hook_delivery (
    source       varchar(63)   not null,
    delivery_id  varchar(255)  not null,
    expires_at   timestamptz   not null,
    primary key (source, delivery_id)
);
create index hook_delivery_expiry on hook_delivery (expires_at);
