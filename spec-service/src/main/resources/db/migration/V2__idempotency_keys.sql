-- Idempotency-Key of POST /api/v1/specs: a retried request gets the first one's outcome.
create table idempotency_key (
    key          varchar(255) primary key,
    spec_id      uuid         not null references image_spec (id),
    spec_digest  char(64)     not null,
    new_version  boolean      not null,
    created_at   timestamptz  not null
);
