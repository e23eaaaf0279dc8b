-- A version is claimed before its pack is pushed: the row is inserted (unique (pack_id, version))
-- with published_at null, and published_at is set once the registry holds the pack. Two replicas
-- racing for one new tag meet on the constraint, not in the registry, which has no compare-and-set:
-- the first insert owns the version, the other build fails without pushing. Rows that existed
-- before were published, and claimed when they were.
alter table pack_version add column claimed_at timestamptz;
update pack_version set claimed_at = published_at;
alter table pack_version alter column claimed_at set not null;
alter table pack_version alter column published_at drop not null;
