DROP TABLE outcome_state;
DROP TABLE outcomes;
DROP INDEX exposures_txid_idx;
DROP INDEX events_txid_idx;
ALTER TABLE exposures DROP COLUMN txid;
ALTER TABLE events DROP COLUMN txid;
