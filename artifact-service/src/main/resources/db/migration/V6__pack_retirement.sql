-- A pack version deprecated or revoked (from byoos.packs.retired). Retention keeps the artifact of a
-- deprecated pack like that of any published one, but a revoked pack no longer keeps its artifact:
-- no cluster is meant to pull it any more. Set once, never cleared.
alter table pack_reference add column deprecated_at timestamptz;
alter table pack_reference add column revoked_at timestamptz;
alter table pack_reference add column revocation_reason text;
