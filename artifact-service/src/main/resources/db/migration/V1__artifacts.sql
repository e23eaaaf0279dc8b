-- artifact-service owns this table; no other service reads it.
create table artifact (
    id            uuid primary key,
    build_id      uuid         not null,
    team          varchar(63)  not null,
    spec_name     varchar(63)  not null,
    spec_version  integer      not null,
    spec_digest   char(64)     not null,
    target_cloud  varchar(32)  not null,
    format        varchar(32)  not null,
    sha256        char(64)     not null,
    size_bytes    bigint       not null,
    bucket        varchar(63)  not null,
    object_key    text         not null,
    staged_key    text         not null,
    builder       varchar(64)  not null,
    created_at    timestamptz  not null,
    -- One artifact per build: a redelivered build.completed finds this row instead of adding one.
    constraint artifact_build_unique unique (build_id)
);
create index artifact_sha256 on artifact (sha256);
create index artifact_team_spec on artifact (team, spec_name);
