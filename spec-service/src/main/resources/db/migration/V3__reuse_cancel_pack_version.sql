-- REUSED builds point at the build whose artifact and pack they reuse.
alter table build add column reused_from uuid references build (id);
-- Who cancelled a build, and when (CANCELLED builds only).
alter table build add column cancelled_by varchar(256);

-- The pack version each spec version publishes: a pack version is never reused by another
-- version of the same spec, because published pack versions are immutable.
alter table image_spec add column pack_version varchar(128);
update image_spec set pack_version = (document::jsonb -> 'spec' -> 'pack' ->> 'version');
alter table image_spec alter column pack_version set not null;
