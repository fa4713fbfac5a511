-- From result to rollout (CONTRACT §7, §8): shipping, schedules, the background watch's memory,
-- and webhooks with their outbox.

-- A shipped experiment is stopped and serves one variant to everyone it was eligible for.
ALTER TABLE experiments DROP CONSTRAINT experiments_status_check;
ALTER TABLE experiments ADD CONSTRAINT experiments_status_check
    CHECK (status IN ('draft', 'running', 'paused', 'stopped', 'shipped'));
ALTER TABLE experiments
    ADD COLUMN ship TEXT,
    ADD COLUMN start_at TIMESTAMPTZ,
    ADD COLUMN stop_at TIMESTAMPTZ,
    ADD COLUMN stop_on_sample BOOLEAN NOT NULL DEFAULT false,
    -- Why stagelab itself last changed the status (schedule, planned sample, guardrail); NULL
    -- when the last status change was a person's or a file's.
    ADD COLUMN status_note TEXT,
    ADD CONSTRAINT experiments_ship_check CHECK ((status = 'shipped') = (ship IS NOT NULL)),
    ADD CONSTRAINT experiments_schedule_check CHECK (stop_at IS NULL OR start_at IS NULL OR stop_at > start_at);

-- What the background watch last saw of an experiment, so that it notifies changes once.
CREATE TABLE watch_state (
    experiment_id  BIGINT PRIMARY KEY REFERENCES experiments (id) ON DELETE CASCADE,
    recommendation TEXT,
    srm            BOOLEAN NOT NULL DEFAULT false,
    guardrail      TEXT,
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE webhooks (
    id         UUID PRIMARY KEY,
    url        TEXT NOT NULL CHECK (length(url) <= 2000),
    events     TEXT[] NOT NULL,
    format     TEXT NOT NULL CHECK (format IN ('json', 'slack')),
    -- Kept as given: it signs every delivery. The API shows it once, at creation.
    secret     TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The outbox: one row per notification, written in the transaction of the change it reports.
CREATE TABLE notifications (
    id         UUID PRIMARY KEY,
    kind       TEXT NOT NULL,
    experiment TEXT NOT NULL,
    body       JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX notifications_experiment_idx ON notifications (experiment, created_at DESC);

-- One delivery per notification and webhook subscribed to its kind at that moment.
CREATE TABLE deliveries (
    id              BIGSERIAL PRIMARY KEY,
    notification_id UUID NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    webhook_id      UUID NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_status     INT,
    last_error      TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    delivered_at    TIMESTAMPTZ,
    UNIQUE (notification_id, webhook_id)
);
CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX deliveries_webhook_idx ON deliveries (webhook_id, id DESC);
