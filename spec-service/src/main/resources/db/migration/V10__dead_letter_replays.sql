-- Dead letters an admin replayed (DeadLetters), keyed by the dead letter's id
-- (<dead-letter topic>:<partition>:<offset>). The row is committed before the record is sent and
-- replayed_at set once Kafka acknowledged the send: a crash in between leaves the row without
-- replayed_at, and the next replay of the id sends it (consumers deduplicate by event id); a row
-- with replayed_at makes every later replay of the id a no-op.
create table dead_letter_replay (
    id            varchar(300)  primary key,
    requested_at  timestamptz   not null,
    requested_by  varchar(256)  not null,
    replayed_at   timestamptz
);

