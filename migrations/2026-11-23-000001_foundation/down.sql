-- Undoes up.sql, dependants first.
DROP TABLE audit_log;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE api_keys;
DROP TABLE events;
DROP TABLE exposures;
DROP TABLE variants;
DROP TABLE experiments;
DROP TABLE layers;
DROP TABLE customers;
DROP TABLE lifecycle_stages;
