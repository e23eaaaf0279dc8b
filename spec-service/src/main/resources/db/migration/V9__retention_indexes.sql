-- RowRetention finds rows past their retention by these.
create index outbox_published on outbox (published_at) where published_at is not null;
create index idempotency_key_created on idempotency_key (created_at);
