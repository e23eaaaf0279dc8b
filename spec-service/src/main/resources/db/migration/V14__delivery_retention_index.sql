-- RowRetention deletes finished notification deliveries by age; pending ones are never touched.
create index notification_delivery_finished on notification_delivery (created_at) where state <> 'PENDING';
