-- Notifications out: teams subscribe HTTP endpoints to event types; every matching event becomes
-- one delivery per subscription (unique per event id, so a redelivered Kafka record adds nothing),
-- which the dispatcher POSTs, retries and logs attempt by attempt.
create table notification_subscription (
    id uuid primary key,
    team text not null,
    url text not null,
    event_types text[] not null,
    -- The HMAC key deliveries are signed with; shown to the subscriber once, at creation.
    secret text not null,
    created_by text not null,
    created_at timestamptz not null default now()
);
create index notification_subscription_team on notification_subscription (team);

create table notification_delivery (
    id uuid primary key,
    subscription_id uuid not null references notification_subscription (id) on delete cascade,
    event_id text not null,
    event_type text not null,
    -- The structured-mode CloudEvent sent, byte for byte the same on every attempt.
    payload text not null,
    state text not null default 'PENDING' check (state in ('PENDING', 'DELIVERED', 'FAILED')),
    -- Every attempt ever made, and those since the delivery was (re)queued: the latter is what
    -- byoos.spec.notifications.max-attempts bounds.
    attempts int not null default 0,
    round_attempts int not null default 0,
    next_attempt_at timestamptz not null default now(),
    created_at timestamptz not null default now(),
    delivered_at timestamptz,
    unique (subscription_id, event_id)
);
create index notification_delivery_due on notification_delivery (next_attempt_at) where state = 'PENDING';

create table notification_attempt (
    delivery_id uuid not null references notification_delivery (id) on delete cascade,
    number int not null,
    attempted_at timestamptz not null default now(),
    -- The receiver's HTTP status, or null when there was no answer (error says why).
    status int,
    error text,
    primary key (delivery_id, number)
);
