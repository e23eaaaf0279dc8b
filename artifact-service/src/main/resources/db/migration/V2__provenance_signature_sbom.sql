-- What a build recorded besides the image (SBOM, log, provenance, cloud and OCI images) and the
-- service's signature over the image digest. Rows stored before this migration keep nulls: they
-- were never signed and their builds reported none of it.
alter table artifact
    add column target_format      varchar(32),
    add column os_name            varchar(63),
    add column os_version         varchar(63),
    add column kubernetes_version varchar(63),
    add column sbom_key           text,
    add column sbom_sha256        char(64),
    add column sbom_size          bigint,
    add column sbom_format        varchar(32),
    add column log_key            text,
    add column log_sha256         char(64),
    add column log_size           bigint,
    add column builder_version    varchar(128),
    add column build_started_at   timestamptz,
    add column build_finished_at  timestamptz,
    -- JSON [{name, sha256, uri}]: everything the image was made from, in the builder's order
    add column inputs             text not null default '[]',
    -- JSON [{cloud, region, id}]
    add column cloud_images       text not null default '[]',
    add column oci_image_reference text,
    add column oci_image_digest   varchar(80),
    add column signature_format   varchar(32),
    add column signature_key_id   char(64),
    add column signature_value    text;

update artifact set target_format = format where target_format is null;
alter table artifact alter column target_format set not null;

-- The search API: newest first within a team, optionally by spec or format.
drop index artifact_team_spec;
create index artifact_team_spec_created on artifact (team, spec_name, created_at desc);
create index artifact_team_format_created on artifact (team, format, created_at desc);
