-- A record Kafka refuses for good (too large, not serialisable) is set aside with the reason, and
-- its build failed, instead of failing every relay batch it is in (OutboxRelay).
alter table outbox add column set_aside_at timestamptz;
alter table outbox add column set_aside_reason text;
drop index outbox_unpublished;
create index outbox_unpublished on outbox (id) where published_at is null and set_aside_at is null;
