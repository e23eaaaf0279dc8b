-- pack-publisher owns these tables; no other service reads them. The registry holds the packs;
-- this is the catalog of what was published, with each version's lineage. Columns are text, not
-- bounded varchar: a row refused for its length would hold a published pack's build up forever.

-- A pack name is one repository in the registry (<base>/spectro-packs/archive/<name>), so it is
-- unique across teams; the team that first published it owns it.
create table pack (
    id            uuid primary key,
    name          text         not null,
    display_name  text         not null,
    team          text         not null,
    created_at    timestamptz  not null,
    constraint pack_name_unique unique (name)
);
create index pack_team on pack (team, name);

-- One published version, and where it came from: pack -> artifact (digest) -> build -> spec.
create table pack_version (
    id                  uuid primary key,
    pack_id             uuid         not null references pack (id),
    version             text         not null,
    reference           text         not null,
    manifest_digest     text         not null,
    pack_kind           text         not null,
    cloud_type          text         not null,
    os_image_override   text         not null,
    os_name             text         not null,
    os_version          text         not null,
    kubernetes_version  text         not null,
    -- the artifact
    artifact_sha256     char(64)     not null,
    artifact_uri        text         not null,
    artifact_size       bigint       not null,
    artifact_format     text         not null,
    signature_key_id    text,
    sbom_uri            text,
    -- the build
    build_id            text         not null,
    target_cloud        text         not null,
    -- the spec
    spec_team           text         not null,
    spec_name           text         not null,
    spec_version        integer      not null,
    spec_digest         char(64)     not null,
    published_at        timestamptz  not null,
    -- Versions are immutable: a redelivered event finds this row instead of adding one.
    constraint pack_version_unique unique (pack_id, version)
);
create index pack_version_artifact on pack_version (artifact_sha256);
create index pack_version_build on pack_version (build_id);
