-- Analysis: a per-customer outcome table per experiment, maintained incrementally.
--
-- A report aggregates `outcomes` (one row per exposed customer, every value precomputed) instead
-- of joining every exposure with every event. Before each report, the rows of customers whose
-- exposures or events changed since the last refresh are recomputed. "Changed since" is found
-- through the writing transaction's id: every exposure and event row records it, and a refresh
-- remembers the oldest transaction still running when it started (`outcome_state.since`). Rows of
-- older transactions were all committed (or rolled back) before that refresh read, so re-reading
-- from `since` on can miss nothing, whatever order concurrent writers commit in.

-- Rows written before this migration get 0: the first refresh of an experiment reads everything.
ALTER TABLE events ADD COLUMN txid BIGINT NOT NULL DEFAULT 0;
ALTER TABLE events ALTER COLUMN txid SET DEFAULT (pg_current_xact_id()::text::bigint);
ALTER TABLE exposures ADD COLUMN txid BIGINT NOT NULL DEFAULT 0;
ALTER TABLE exposures ALTER COLUMN txid SET DEFAULT (pg_current_xact_id()::text::bigint);
-- Rows are appended in roughly increasing transaction order: a block-range index is nearly free
-- to maintain on the hot write paths and finds the recent rows.
CREATE INDEX events_txid_idx ON events USING brin (txid) WITH (autosummarize = on);
CREATE INDEX exposures_txid_idx ON exposures USING brin (txid) WITH (autosummarize = on);

-- One row per analysed (not overridden) exposure: what the customer did in the window.
CREATE TABLE outcomes (
    experiment_id BIGINT NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
    customer_id   TEXT NOT NULL,
    variant_id    BIGINT NOT NULL,
    -- First exposure, and its UTC day.
    exposed_at    TIMESTAMPTZ NOT NULL,
    exposed_day   DATE NOT NULL,
    -- In the window: revenue (whole orders, not winsorised), orders, whether the customer referred.
    revenue       DOUBLE PRECISION NOT NULL,
    orders        DOUBLE PRECISION NOT NULL,
    referred      BOOLEAN NOT NULL,
    -- Hours from exposure to the goal (rounded up) and the goal's UTC day; NULL: not reached.
    goal_hours    DOUBLE PRECISION,
    goal_day      DATE,
    -- 1-based position of the furthest stage proven in the window; NULL: none.
    furthest      INTEGER,
    -- The pre-exposure period (CUPED covariates).
    pre_revenue   DOUBLE PRECISION NOT NULL,
    pre_orders    DOUBLE PRECISION NOT NULL,
    pre_referral  BOOLEAN NOT NULL,
    -- Custom metrics in declaration order: matching events and their summed values in the window
    -- (NULL when the customer had none of any).
    custom_events DOUBLE PRECISION[],
    custom_values DOUBLE PRECISION[],
    PRIMARY KEY (experiment_id, customer_id)
);

-- What each experiment's outcome rows were computed with, and from where the next refresh reads.
CREATE TABLE outcome_state (
    experiment_id BIGINT PRIMARY KEY REFERENCES experiments (id) ON DELETE CASCADE,
    -- The analysis definition (window, lifecycle, goal, metrics, variants); a change rebuilds.
    definition    TEXT NOT NULL,
    -- Rows written by transactions with this id or later may not be included yet.
    since         BIGINT NOT NULL,
    refreshed_at  TIMESTAMPTZ NOT NULL
);
