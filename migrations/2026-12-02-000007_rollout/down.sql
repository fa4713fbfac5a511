DROP TABLE deliveries;
DROP TABLE notifications;
DROP TABLE webhooks;
DROP TABLE watch_state;
ALTER TABLE experiments DROP CONSTRAINT experiments_schedule_check, DROP CONSTRAINT experiments_ship_check,
    DROP COLUMN status_note, DROP COLUMN stop_on_sample, DROP COLUMN stop_at, DROP COLUMN start_at, DROP COLUMN ship;
UPDATE experiments SET status = 'stopped' WHERE status = 'shipped';
ALTER TABLE experiments DROP CONSTRAINT experiments_status_check;
ALTER TABLE experiments ADD CONSTRAINT experiments_status_check
    CHECK (status IN ('draft', 'running', 'paused', 'stopped'));
