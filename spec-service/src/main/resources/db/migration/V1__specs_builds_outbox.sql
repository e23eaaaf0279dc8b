-- spec-service owns these tables; no other service reads them.

create table image_spec (
    id          uuid primary key,
    team        varchar(63)  not null,
    name        varchar(63)  not null,
    version     integer      not null,
    digest      char(64)     not null,
    document    text         not null,
    created_at  timestamptz  not null,
    constraint image_spec_version_unique unique (team, name, version)
);
create index image_spec_digest on image_spec (team, name, digest);

create table build (
    id               uuid primary key,
    spec_id          uuid         not null references image_spec (id),
    team             varchar(63)  not null,
    target_cloud     varchar(32)  not null,
    target_format    varchar(32)  not null,
    attempt          integer      not null,
    state            varchar(16)  not null,
    artifact_uri     text,
    artifact_sha256  char(64),
    artifact_size    bigint,
    pack_reference   text,
    failure_stage    varchar(16),
    failure_code     varchar(64),
    failure_reason   text,
    created_at       timestamptz  not null,
    updated_at       timestamptz  not null,
    constraint build_attempt_unique unique (spec_id, target_cloud, attempt)
);
create index build_team_created on build (team, created_at desc);

-- Every pipeline event applied to a build. The primary key on the CloudEvent id makes the
-- consumer idempotent: a redelivered event inserts nothing and changes nothing.
create table build_event (
    event_id     varchar(128) primary key,
    build_id     uuid         not null references build (id),
    event_type   varchar(128) not null,
    source       varchar(256),
    occurred_at  timestamptz  not null,
    received_at  timestamptz  not null,
    summary      text
);
create index build_event_build on build_event (build_id, received_at);

-- Transactional outbox: written in the same transaction as the state change it announces,
-- published by OutboxRelay, marked when Kafka acknowledged it.
create table outbox (
    id            bigserial    primary key,
    event_id      varchar(128) not null unique,
    topic         varchar(128) not null,
    event_type    varchar(128) not null,
    message_key   varchar(128) not null,
    payload       text         not null,
    created_at    timestamptz  not null,
    published_at  timestamptz
);
create index outbox_unpublished on outbox (id) where published_at is null;
