-- What this service knows of each build, from byoos.builds.requested (spec-service's word), not
-- from the build.completed it later verifies: team, spec and pack of an artifact come from here.
create table build_record (
    build_id     uuid        primary key,
    team         text        not null,
    spec_name    text        not null,
    spec_version integer     not null,
    spec_digest  text        not null,
    pack_name    text        not null,
    -- The whole build.requested coordinates as JSON: what artifact.stored announces.
    coordinates  text        not null,
    recorded_at  timestamptz not null
);
