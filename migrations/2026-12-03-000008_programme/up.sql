-- The programme holdout (CONTRACT §9): every customer who asks for assignments at a stage where an
-- experiment is running or shipped is recorded once per stage, held out or not, with the holdout
-- share in force then. The programme analysis compares the two groups from `first_seen_at` on.
CREATE TABLE programme_members (
    customer_id   TEXT NOT NULL,
    stage         TEXT NOT NULL REFERENCES lifecycle_stages (id),
    held_out      BOOLEAN NOT NULL,
    holdout_share DOUBLE PRECISION NOT NULL CHECK (holdout_share >= 0 AND holdout_share <= 0.5),
    first_seen_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (customer_id, stage)
);

-- No other index: the analysis reads every member, and each index would cost every new customer's
-- first request another B-tree insert in the group commit.
