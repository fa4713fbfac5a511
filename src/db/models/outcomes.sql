-- Recomputes the outcome rows of one experiment: every analysed customer (`$11`), or only the
-- customers `$12` (those whose exposure or events changed since the last refresh).
--
-- $1 experiment id          $2 window days
-- $3 stage ids in order     $4 goal position (1-based)
-- $5/$6/$7 positions of the stages proven by the first purchase, the second purchase and the
--          first referral (NULL when the lifecycle has no such rule)
-- $8/$9 custom metrics: event type and stage (NULL: any stage), in declaration order
-- $10 days before exposure that make up the pre-period (CUPED covariates)
-- $11 all customers          $12 else these customers
--
-- Days are 24 hours here, whatever the session's time zone, as in the report (`results.sql`).
WITH x AS MATERIALIZED (
    -- Exposed customers; QA overrides are served but never analysed.
    SELECT customer_id, variant_id, exposed_at, exposed_at + make_interval(hours => $2 * 24) AS ends
    FROM exposures
    WHERE experiment_id = $1 AND NOT is_override AND $11
    UNION ALL
    SELECT x.customer_id, x.variant_id, x.exposed_at, x.exposed_at + make_interval(hours => $2 * 24)
    FROM unnest($12::text[]) AS c(id)
    JOIN exposures x ON x.customer_id = c.id AND x.experiment_id = $1
    WHERE NOT x.is_override AND NOT $11
),
raw AS MATERIALIZED (
    -- Their events up to the end of the window (one index range per customer).
    SELECT x.customer_id, x.exposed_at, e.source, e.event_id, e.event_type, e.stage, e.order_id,
           e.occurred_at AS at, e.value
    FROM x JOIN events e ON e.customer_id = x.customer_id AND e.occurred_at < x.ends
),
ev AS MATERIALIZED (
    -- From the pre-period on.
    SELECT customer_id, exposed_at, event_type, stage, at, value, NULL::bigint AS rank
    FROM raw
    WHERE event_type <> 'purchase' AND at >= exposed_at - make_interval(hours => $10 * 24)
    UNION ALL
    -- Purchases count once per order (an order may arrive from two sources); all of the
    -- customer's earlier orders are read, so that each order knows whether it was the first or
    -- the second (the lifecycle's purchase rules).
    SELECT customer_id, exposed_at, 'purchase', NULL, min(at), max(value),
           row_number() OVER (PARTITION BY customer_id ORDER BY min(at))
    FROM raw
    WHERE event_type = 'purchase'
    GROUP BY customer_id, exposed_at, coalesce(order_id, source || ':' || event_id)
),
agg AS (
    -- One row per customer with events: what happened in the window, and before exposure.
    SELECT customer_id,
           min(at) FILTER (WHERE event_type = 'stage' AND at >= exposed_at
                             AND array_position($3::text[], stage) >= $4) AS goal_stage_at,
           max(array_position($3::text[], stage)) FILTER (WHERE event_type = 'stage' AND at >= exposed_at) AS stage_pos,
           min(at) FILTER (WHERE event_type = 'purchase' AND at >= exposed_at AND rank = 1) AS first_order_at,
           min(at) FILTER (WHERE event_type = 'purchase' AND at >= exposed_at AND rank = 2) AS second_order_at,
           min(at) FILTER (WHERE event_type = 'referral' AND at >= exposed_at) AS referral_at,
           count(*) FILTER (WHERE event_type = 'purchase' AND at >= exposed_at) AS orders,
           coalesce(sum(value) FILTER (WHERE event_type = 'purchase' AND at >= exposed_at), 0) AS revenue,
           count(*) FILTER (WHERE event_type = 'purchase' AND at < exposed_at
                              AND at >= exposed_at - make_interval(hours => $10 * 24)) AS pre_orders,
           coalesce(sum(value) FILTER (WHERE event_type = 'purchase' AND at < exposed_at
                                         AND at >= exposed_at - make_interval(hours => $10 * 24)), 0) AS pre_revenue,
           bool_or(event_type = 'referral' AND at < exposed_at) AS pre_referral
    FROM ev
    GROUP BY customer_id
),
cm AS (
    -- Custom metrics: matching events in the window and their summed values.
    SELECT ev.customer_id, m.i, count(*) AS events, coalesce(sum(ev.value), 0) AS total
    FROM ev JOIN unnest($8::text[], $9::text[]) WITH ORDINALITY AS m(event_type, stage, i)
      ON ev.event_type = m.event_type AND (m.stage IS NULL OR ev.stage = m.stage)
    WHERE ev.at >= ev.exposed_at
    GROUP BY ev.customer_id, m.i
),
cma AS (
    -- ... as one array per customer, in declaration order, zeros where nothing matched.
    SELECT c.customer_id,
           array_agg(coalesce(cm.events, 0)::float8 ORDER BY m.i) AS custom_events,
           array_agg(coalesce(cm.total, 0)::float8 ORDER BY m.i) AS custom_values
    FROM (SELECT DISTINCT customer_id FROM cm) c
    CROSS JOIN generate_series(1, cardinality($8::text[])) AS m(i)
    LEFT JOIN cm ON cm.customer_id = c.customer_id AND cm.i = m.i
    GROUP BY c.customer_id
),
o AS (
    -- The goal is reached at the first proof of the goal stage or a later one; `furthest` is the
    -- furthest stage proven in the window.
    SELECT x.customer_id, x.variant_id, x.exposed_at,
           least(a.goal_stage_at,
                 CASE WHEN $5::int >= $4 THEN a.first_order_at END,
                 CASE WHEN $6::int >= $4 THEN a.second_order_at END,
                 CASE WHEN $7::int >= $4 THEN a.referral_at END) AS goal_at,
           greatest(a.stage_pos,
                    CASE WHEN a.first_order_at IS NOT NULL THEN $5::int END,
                    CASE WHEN a.second_order_at IS NOT NULL THEN $6::int END,
                    CASE WHEN a.referral_at IS NOT NULL THEN $7::int END) AS furthest,
           a.revenue, a.orders, a.referral_at, a.pre_revenue, a.pre_orders, a.pre_referral,
           c.custom_events, c.custom_values
    FROM x LEFT JOIN agg a ON a.customer_id = x.customer_id
           LEFT JOIN cma c ON c.customer_id = x.customer_id
)
INSERT INTO outcomes (experiment_id, customer_id, variant_id, exposed_at, exposed_day, revenue, orders,
                      referred, goal_hours, goal_day, furthest, pre_revenue, pre_orders, pre_referral,
                      custom_events, custom_values)
SELECT $1, customer_id, variant_id, exposed_at, (exposed_at AT TIME ZONE 'UTC')::date,
       coalesce(revenue, 0), coalesce(orders, 0)::float8, referral_at IS NOT NULL,
       -- (greatest() ignores NULLs: without the CASE, "not reached" would read as 0 hours.)
       CASE WHEN goal_at IS NOT NULL
            THEN greatest(0, ceil((date_part('epoch', goal_at) - date_part('epoch', exposed_at)) / 3600)) END,
       (goal_at AT TIME ZONE 'UTC')::date, furthest,
       coalesce(pre_revenue, 0), coalesce(pre_orders, 0)::float8, coalesce(pre_referral, false),
       custom_events, custom_values
FROM o
ON CONFLICT (experiment_id, customer_id) DO UPDATE
SET variant_id = excluded.variant_id, exposed_at = excluded.exposed_at, exposed_day = excluded.exposed_day,
    revenue = excluded.revenue, orders = excluded.orders, referred = excluded.referred,
    goal_hours = excluded.goal_hours, goal_day = excluded.goal_day, furthest = excluded.furthest,
    pre_revenue = excluded.pre_revenue, pre_orders = excluded.pre_orders,
    pre_referral = excluded.pre_referral, custom_events = excluded.custom_events,
    custom_values = excluded.custom_values
