-- The boot smoke test's outcome from build.completed (passed or skipped; a failed boot fails the
-- build): part of the build record, as the API shows it.
alter table build add column boot_test_result varchar(16);
alter table build add column boot_test_detail text;
alter table build add column boot_test_millis bigint;
