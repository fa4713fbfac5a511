-- The foundation schema: lifecycle, customers, experiments, exposures, events, access and audit.

-- The ordered lifecycle stages (experiments/lifecycle.toml).
CREATE TABLE lifecycle_stages (
    id          TEXT PRIMARY KEY CHECK (id ~ '^[a-z][a-z0-9_-]{0,62}$'),
    position    INTEGER NOT NULL CHECK (position >= 0),
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    -- Deferred so that `apply` can reorder stages in one transaction.
    CONSTRAINT lifecycle_stages_position_key UNIQUE (position) DEFERRABLE INITIALLY DEFERRED
);

-- A store's customer: external id, furthest stage reached, attributes and segment.
CREATE TABLE customers (
    customer_id      TEXT PRIMARY KEY CHECK (length(customer_id) BETWEEN 1 AND 200),
    stage            TEXT REFERENCES lifecycle_stages (id),
    stage_reached_at TIMESTAMPTZ,
    attributes       JSONB NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
    segment          TEXT,
    first_seen_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX customers_stage_idx ON customers (stage);
CREATE INDEX customers_segment_idx ON customers (segment) WHERE segment IS NOT NULL;

-- Experiments in one layer are mutually exclusive.
CREATE TABLE layers (
    id          BIGSERIAL PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE CHECK (key ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    description TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE experiments (
    id          BIGSERIAL PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE CHECK (key ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    name        TEXT NOT NULL,
    hypothesis  TEXT NOT NULL DEFAULT '',
    stage       TEXT NOT NULL REFERENCES lifecycle_stages (id),
    goal        TEXT NOT NULL REFERENCES lifecycle_stages (id),
    window_days INTEGER NOT NULL CHECK (window_days BETWEEN 1 AND 3650),
    traffic     DOUBLE PRECISION NOT NULL CHECK (traffic >= 0 AND traffic <= 1),
    layer_id    BIGINT REFERENCES layers (id),
    -- The targeting rule tree (domain::targeting::Rule as JSON); NULL = everyone.
    targeting   JSONB,
    -- {"primary": "...", "secondary": [...], "guardrails": [...], "custom": [...]}
    metrics     JSONB NOT NULL,
    -- Analysis options: method, alpha, correction, mde, winsorize, cuped.
    stats       JSONB NOT NULL DEFAULT '{}',
    -- The [simulation] table of the file (true effects for the simulator), kept verbatim.
    simulation  JSONB,
    status      TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'running', 'paused', 'stopped')),
    -- Hashing salt: fixed at creation so that assignments never move.
    salt        TEXT NOT NULL,
    -- 'code' when the experiment comes from a file applied with `stagelab apply`, else 'ui'.
    managed_by  TEXT NOT NULL DEFAULT 'ui' CHECK (managed_by IN ('code', 'ui')),
    source_file TEXT,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    started_at  TIMESTAMPTZ,
    stopped_at  TIMESTAMPTZ
);
-- Assignment loads running experiments by stage.
CREATE INDEX experiments_status_stage_idx ON experiments (status, stage);
CREATE INDEX experiments_layer_idx ON experiments (layer_id) WHERE layer_id IS NOT NULL;

CREATE TABLE variants (
    id            BIGSERIAL PRIMARY KEY,
    experiment_id BIGINT NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
    key           TEXT NOT NULL CHECK (key ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$'),
    position      INTEGER NOT NULL CHECK (position >= 0),
    weight        DOUBLE PRECISION NOT NULL CHECK (weight >= 0),
    payload       JSONB NOT NULL DEFAULT '{}',
    UNIQUE (experiment_id, key),
    CONSTRAINT variants_position_key UNIQUE (experiment_id, position) DEFERRABLE INITIALLY DEFERRED
);

-- One exposure per experiment and customer: the first assignment, which is sticky.
CREATE TABLE exposures (
    customer_id   TEXT NOT NULL,
    experiment_id BIGINT NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
    variant_id    BIGINT NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    exposed_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Forced by a QA override: served, but not counted in the analysis.
    is_override   BOOLEAN NOT NULL DEFAULT false,
    -- Primary key leads with the customer: a returning customer's exposures are one index range.
    PRIMARY KEY (customer_id, experiment_id)
);
-- Analysis: exposures of one experiment by variant and time.
CREATE INDEX exposures_experiment_idx ON exposures (experiment_id, variant_id, exposed_at);

-- What the storefront reports. (source, event_id) makes a retried delivery count once.
CREATE TABLE events (
    id                   BIGSERIAL PRIMARY KEY,
    source               TEXT NOT NULL,
    event_id             TEXT NOT NULL CHECK (length(event_id) BETWEEN 1 AND 200),
    customer_id          TEXT NOT NULL,
    event_type           TEXT NOT NULL CHECK (event_type IN ('stage', 'purchase', 'referral')),
    stage                TEXT REFERENCES lifecycle_stages (id),
    value                DOUBLE PRECISION,
    currency             TEXT,
    order_id             TEXT,
    referred_customer_id TEXT,
    occurred_at          TIMESTAMPTZ NOT NULL,
    received_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Older than the retention horizon when received: accepted, but flagged.
    is_late              BOOLEAN NOT NULL DEFAULT false,
    UNIQUE (source, event_id)
);
-- Analysis joins a customer's events after exposure; funnels look up stage events.
CREATE INDEX events_customer_time_idx ON events (customer_id, occurred_at);
CREATE INDEX events_type_time_idx ON events (event_type, occurred_at);

-- Storefront and admin API keys; only a SHA-256 of the token is stored.
CREATE TABLE api_keys (
    id           BIGSERIAL PRIMARY KEY,
    name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    role         TEXT NOT NULL CHECK (role IN ('storefront', 'admin')),
    -- The token's first characters, shown in lists to tell keys apart.
    prefix       TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);

-- Admin UI users; passwords hashed with argon2.
CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    email         TEXT NOT NULL CHECK (email = lower(email) AND email LIKE '%_@_%'),
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    disabled_at   TIMESTAMPTZ
);
CREATE UNIQUE INDEX users_email_idx ON users (email);

-- Admin UI sessions; only a SHA-256 of the cookie's token is stored.
CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

-- Who changed what, when, with the state before and after.
CREATE TABLE audit_log (
    id          BIGSERIAL PRIMARY KEY,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_key  TEXT NOT NULL,
    before      JSONB,
    after       JSONB,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity_type, entity_key, created_at DESC);
CREATE INDEX audit_log_time_idx ON audit_log (created_at DESC);
