-- The signed provenance (DSSE envelope of an in-toto SLSA provenance statement) stored beside the
-- artifact; null for artifacts recorded before provenance was signed.
alter table artifact add column attestation_key    text;
alter table artifact add column attestation_sha256 char(64);
alter table artifact add column attestation_size   bigint;
