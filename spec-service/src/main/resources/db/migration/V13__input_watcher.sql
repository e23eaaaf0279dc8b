-- The input watcher (InputWatcher). One check per interval across replicas: a replica checks only
-- if its update moving next_check_at on by an interval changes the row.
create table input_watch (
    name           varchar(32)  primary key,
    next_check_at  timestamptz  not null
);
insert into input_watch (name, next_check_at) values ('inputs', '-infinity');

-- The last observation of each watched debootstrap base: the sha256 of its suite's InRelease (or
-- Release) file and that file's Date field, for display. The first observation is a baseline. A
-- change is acted on by the one replica whose update from the digest it read to the new one
-- changes the row.
create table base_observation (
    mirror        text          not null,
    suite         varchar(32)   not null,
    digest        char(64)      not null,
    release_date  varchar(100),
    observed_at   timestamptz   not null,
    changed_at    timestamptz,
    primary key (mirror, suite)
);

-- Kubernetes patch releases a spec was told about or rebuilt for: one row per spec and patch, so
-- each is acted on once, by the replica whose insert made the row.
create table kubernetes_patch_notice (
    team        varchar(63)  not null,
    spec_name   varchar(63)  not null,
    patch       varchar(32)  not null,
    noticed_at  timestamptz  not null,
    primary key (team, spec_name, patch)
);
