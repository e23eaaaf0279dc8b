-- The W3C traceparent of the request that wrote the record: the relay publishes it as part of
-- the same trace. Null when tracing was off.
alter table outbox add column trace_parent varchar(64);
