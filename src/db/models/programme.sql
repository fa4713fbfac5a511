-- The programme analysis's sums (CONTRACT §9): for every recorded member, what happened from the
-- moment they were first seen at the stage, within each window; only members whose window has
-- elapsed by `$6` count in that window.
--
-- $1 stage ids in order
-- $2/$3/$4 positions (1-based) of the stages proven by the first purchase, the second purchase and
--          the first referral (NULL when the lifecycle has no such rule)
-- $5 windows in days        $6 now
--
-- Days are 24 hours, as in the experiment reports.
WITH m AS MATERIALIZED (
    SELECT customer_id, stage, array_position($1::text[], stage) AS pos, held_out, holdout_share,
           first_seen_at AS since
    FROM programme_members
    WHERE first_seen_at <= $6
),
ev AS MATERIALIZED (
    -- The members' events (each customer once, whatever the number of stages they are members at).
    SELECT e.customer_id, e.source, e.event_id, e.event_type, e.stage, e.order_id, e.occurred_at AS at, e.value
    FROM events e
    WHERE e.customer_id IN (SELECT DISTINCT customer_id FROM m) AND e.occurred_at <= $6
),
orders AS MATERIALIZED (
    -- Each order once (it may arrive from two sources), ranked over all of the customer's orders.
    SELECT customer_id, min(at) AS at, max(value) AS value,
           row_number() OVER (PARTITION BY customer_id ORDER BY min(at)) AS rank
    FROM ev
    WHERE event_type = 'purchase'
    GROUP BY customer_id, coalesce(order_id, source || ':' || event_id)
),
proofs AS MATERIALIZED (
    -- Every proof of a stage position.
    SELECT customer_id, array_position($1::text[], stage) AS pos, at FROM ev WHERE event_type = 'stage'
    UNION ALL SELECT customer_id, $2::int, at FROM orders WHERE rank = 1 AND $2::int IS NOT NULL
    UNION ALL SELECT customer_id, $3::int, at FROM orders WHERE rank = 2 AND $3::int IS NOT NULL
    UNION ALL SELECT customer_id, $4::int, at FROM ev WHERE event_type = 'referral' AND $4::int IS NOT NULL
),
mw AS MATERIALIZED (
    -- Member × window, for the windows that have elapsed.
    SELECT m.customer_id, m.stage, m.pos, m.held_out, m.since, w.days,
           m.since + make_interval(hours => w.days * 24) AS ends
    FROM m CROSS JOIN unnest($5::int[]) AS w(days)
    WHERE m.since + make_interval(hours => w.days * 24) <= $6
),
reach AS (
    SELECT mw.customer_id, mw.stage, mw.days, max(p.pos) AS furthest
    FROM mw JOIN proofs p ON p.customer_id = mw.customer_id AND p.at >= mw.since AND p.at < mw.ends
    GROUP BY mw.customer_id, mw.stage, mw.days
),
spend AS (
    SELECT mw.customer_id, mw.stage, mw.days, count(*)::float8 AS orders, sum(o.value) AS revenue
    FROM mw JOIN orders o ON o.customer_id = mw.customer_id AND o.at >= mw.since AND o.at < mw.ends
    GROUP BY mw.customer_id, mw.stage, mw.days
),
refer AS (
    SELECT DISTINCT mw.customer_id, mw.stage, mw.days
    FROM mw JOIN ev e ON e.customer_id = mw.customer_id AND e.event_type = 'referral'
                     AND e.at >= mw.since AND e.at < mw.ends
),
per AS (
    SELECT mw.stage, mw.days, mw.held_out, r.furthest,
           coalesce(s.revenue, 0) AS revenue, coalesce(s.orders, 0) AS orders, f.customer_id IS NOT NULL AS referred
    FROM mw
    LEFT JOIN reach r ON (r.customer_id, r.stage, r.days) = (mw.customer_id, mw.stage, mw.days)
    LEFT JOIN spend s ON (s.customer_id, s.stage, s.days) = (mw.customer_id, mw.stage, mw.days)
    LEFT JOIN refer f ON (f.customer_id, f.stage, f.days) = (mw.customer_id, mw.stage, mw.days)
),
groups AS (
    -- Sums per stage, window, group and furthest stage reached in the window (NULL: none proven).
    SELECT stage, days, held_out, furthest, count(*) AS n,
           sum(revenue) AS revenue_sum, sum(revenue * revenue) AS revenue_squares,
           sum(orders) AS orders_sum, sum(orders * orders) AS orders_squares,
           count(*) FILTER (WHERE referred) AS referrals
    FROM per
    GROUP BY stage, days, held_out, furthest
),
sizes AS (
    SELECT stage, held_out, holdout_share, count(*) AS n FROM m GROUP BY stage, held_out, holdout_share
),
nxt AS (
    -- When each member first proved a later stage than theirs.
    SELECT m.customer_id, m.stage, min(p.at) AS at
    FROM m JOIN proofs p ON p.customer_id = m.customer_id AND p.pos > m.pos AND p.at >= m.since
    GROUP BY m.customer_id, m.stage
),
curve AS (
    -- Time to the next stage (in whole days, up to the longest window), censored at the end of the
    -- longest window or at `$6`, whichever comes first.
    SELECT stage, held_out, days, reached, count(*) AS n
    FROM (
        SELECT m.stage, m.held_out,
               greatest(1, ceil(date_part('epoch', least(n.at, m.since + make_interval(hours => w.longest * 24), $6)
                                                   - m.since) / 86400))::int AS days,
               n.at IS NOT NULL AND n.at < m.since + make_interval(hours => w.longest * 24) AS reached
        FROM m
        CROSS JOIN (SELECT max(d) AS longest FROM unnest($5::int[]) AS d) w
        LEFT JOIN nxt n ON n.customer_id = m.customer_id AND n.stage = m.stage
    ) t
    GROUP BY stage, held_out, days, reached
)
SELECT (SELECT coalesce(json_agg(g), '[]'::json) FROM groups g) AS groups,
       (SELECT coalesce(json_agg(s), '[]'::json) FROM sizes s) AS sizes,
       (SELECT coalesce(json_agg(c), '[]'::json) FROM curve c) AS curve
