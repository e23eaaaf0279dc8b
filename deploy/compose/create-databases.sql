-- One database per service; no service reads another's.
CREATE DATABASE spec_service;
CREATE DATABASE artifact_service;
CREATE DATABASE build_worker;
CREATE DATABASE pack_publisher;
