-- Published packs that point at an artifact (from byoos.packs.published). Retention never deletes
-- an artifact a pack references: Palette clusters may still pull it.
create table pack_reference (
    -- Derived from (build id, reference): a redelivered pack.published finds its row.
    id              uuid        primary key,
    build_id        uuid        not null,
    reference       text        not null,
    manifest_digest varchar(80) not null,
    recorded_at     timestamptz not null
);
create index pack_reference_build on pack_reference (build_id);
