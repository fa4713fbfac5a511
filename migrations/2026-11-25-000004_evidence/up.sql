-- Customers keep a summary of what their events prove (`events::progress::Evidence` as JSON), so
-- that storing a batch merges the batch into the summary instead of reading every earlier event
-- of its customers again:
--   {"stages": {"<stage>": "<first time>", ...},
--    "orders": [{"key": "<order>", "at": "<first time>"}, <the second earliest order>],
--    "referral": "<first time>"}
-- An order's key is its order id, or `source:event_id` for a purchase without one.
ALTER TABLE customers ADD COLUMN evidence JSONB NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(evidence) = 'object');

-- The summary of the events stored so far (times in UTC with microseconds; keys ordered bytewise,
-- as the Rust code orders them).
WITH proofs AS (
    SELECT customer_id, event_type, stage,
           CASE WHEN event_type = 'purchase' THEN coalesce(order_id, source || ':' || event_id) END AS order_key,
           occurred_at
    FROM events
),
stages AS (
    SELECT customer_id, jsonb_object_agg(stage, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')) AS stages
    FROM (SELECT customer_id, stage, min(occurred_at) AS at FROM proofs
          WHERE event_type = 'stage' AND stage IS NOT NULL GROUP BY customer_id, stage) s
    GROUP BY customer_id
),
orders AS (
    SELECT customer_id,
           jsonb_agg(jsonb_build_object('key', order_key, 'at', to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
                     ORDER BY at, order_key COLLATE "C") AS orders
    FROM (SELECT customer_id, order_key, at,
                 row_number() OVER (PARTITION BY customer_id ORDER BY at, order_key COLLATE "C") AS n
          FROM (SELECT customer_id, order_key, min(occurred_at) AS at FROM proofs WHERE event_type = 'purchase'
                GROUP BY customer_id, order_key) o) ranked
    WHERE n <= 2
    GROUP BY customer_id
),
referrals AS (
    SELECT customer_id, to_char(min(occurred_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS referral FROM proofs
    WHERE event_type = 'referral' GROUP BY customer_id
),
summary AS (
    SELECT customer_id,
           jsonb_strip_nulls(jsonb_build_object('stages', s.stages, 'orders', o.orders, 'referral', r.referral)) AS evidence
    FROM stages s FULL JOIN orders o USING (customer_id) FULL JOIN referrals r USING (customer_id)
)
UPDATE customers AS c SET evidence = summary.evidence
FROM summary WHERE c.customer_id = summary.customer_id;

-- Customers are rewritten as their evidence grows: leave room on each page for the new version,
-- so that an update that keeps the stage is a HOT update (no new index entries).
ALTER TABLE customers SET (fillfactor = 85);
