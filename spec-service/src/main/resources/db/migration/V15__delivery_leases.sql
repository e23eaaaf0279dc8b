-- A delivery whose attempt is in flight is leased until this time (null otherwise): the dispatcher
-- claims a delivery only for a subscription with no live lease, so one receiver gets one attempt at
-- a time, and a lease left by a replica that died expires and the delivery is tried again.
alter table notification_delivery add column leased_until timestamptz;
