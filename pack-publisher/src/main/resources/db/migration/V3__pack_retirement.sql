-- A published version can be deprecated (by a submitter of its team: still usable, discouraged) and
-- revoked (by an admin: must not be used; the registry gets a .revoked marker beside it). Both are
-- kept with who, when and why: a revoked version that was deprecated first shows both. Neither is
-- ever undone.
alter table pack_version add column deprecated_at timestamptz;
alter table pack_version add column deprecated_by text;
alter table pack_version add column deprecation_reason text;
alter table pack_version add column revoked_at timestamptz;
alter table pack_version add column revoked_by text;
alter table pack_version add column revocation_reason text;

-- Every deprecation and revocation, in order; publishing is read from pack_version itself.
create table pack_audit (
    id         uuid         primary key,
    pack_id    uuid         not null references pack (id),
    version    text         not null,
    action     text         not null,
    reason     text         not null,
    actor      text         not null,
    at         timestamptz  not null
);
create index pack_audit_pack on pack_audit (pack_id, at);
