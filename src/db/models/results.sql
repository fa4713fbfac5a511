-- The analysis of one experiment: every aggregate the report needs, in one statement.
--
-- $1 experiment id          $2 window days          $3 now               $4 stopped (all customers mature)
-- $5 stage ids in order     $6 goal position (1-based)
-- $7/$8/$9 positions of the stages proven by the first purchase, the second purchase and the
--          first referral (NULL when the lifecycle has no such rule)
-- $10 revenue winsorisation percentile (NULL: none)
-- $11/$12 custom metrics: event type and stage (NULL: any stage), in declaration order
-- $13 days before exposure that make up the pre-period (CUPED covariates)
WITH x AS MATERIALIZED (
    -- Exposed customers; QA overrides are served but never analysed.
    SELECT customer_id, variant_id, exposed_at,
           exposed_at + make_interval(days => $2) AS ends,
           ($4 OR exposed_at + make_interval(days => $2) <= $3) AS mature
    FROM exposures
    WHERE experiment_id = $1 AND NOT is_override
),
ev AS MATERIALIZED (
    -- Their events from the pre-period to the end of the window.
    SELECT x.customer_id, x.exposed_at, e.event_type, e.stage, e.occurred_at AS at, e.value, NULL::bigint AS rank
    FROM x JOIN events e ON e.customer_id = x.customer_id
    WHERE e.event_type <> 'purchase'
      AND e.occurred_at >= x.exposed_at - make_interval(days => $13) AND e.occurred_at < x.ends
    UNION ALL
    -- Purchases count once per order (an order may arrive from two sources); all of the
    -- customer's earlier orders are read, so that each order knows whether it was the first or
    -- the second (the lifecycle's purchase rules).
    SELECT x.customer_id, x.exposed_at, 'purchase', NULL, min(e.occurred_at), max(e.value),
           row_number() OVER (PARTITION BY x.customer_id ORDER BY min(e.occurred_at))
    FROM x JOIN events e ON e.customer_id = x.customer_id
    WHERE e.event_type = 'purchase' AND e.occurred_at < x.ends
    GROUP BY x.customer_id, x.exposed_at, coalesce(e.order_id, e.source || ':' || e.event_id)
),
agg AS (
    -- One row per customer with events: what happened in the window, and before exposure.
    SELECT customer_id,
           min(at) FILTER (WHERE event_type = 'stage' AND at >= exposed_at
                             AND array_position($5::text[], stage) >= $6) AS goal_stage_at,
           max(array_position($5::text[], stage)) FILTER (WHERE event_type = 'stage' AND at >= exposed_at) AS stage_pos,
           min(at) FILTER (WHERE event_type = 'purchase' AND at >= exposed_at AND rank = 1) AS first_order_at,
           min(at) FILTER (WHERE event_type = 'purchase' AND at >= exposed_at AND rank = 2) AS second_order_at,
           min(at) FILTER (WHERE event_type = 'referral' AND at >= exposed_at) AS referral_at,
           count(*) FILTER (WHERE event_type = 'purchase' AND at >= exposed_at) AS orders,
           coalesce(sum(value) FILTER (WHERE event_type = 'purchase' AND at >= exposed_at), 0) AS revenue,
           count(*) FILTER (WHERE event_type = 'purchase' AND at < exposed_at
                              AND at >= exposed_at - make_interval(days => $13)) AS pre_orders,
           coalesce(sum(value) FILTER (WHERE event_type = 'purchase' AND at < exposed_at
                                         AND at >= exposed_at - make_interval(days => $13)), 0) AS pre_revenue,
           bool_or(event_type = 'referral' AND at < exposed_at) AS pre_referral
    FROM ev
    GROUP BY customer_id
),
o AS MATERIALIZED (
    -- One row per exposed customer: the outcome. The goal is reached at the first proof of the
    -- goal stage or a later one; `furthest` is the furthest stage proven in the window.
    SELECT x.customer_id, x.variant_id, x.exposed_at, x.ends, x.mature,
           coalesce(a.revenue, 0) AS revenue,
           coalesce(a.orders, 0) AS orders,
           a.referral_at IS NOT NULL AS referred,
           least(a.goal_stage_at,
                 CASE WHEN $7::int >= $6 THEN a.first_order_at END,
                 CASE WHEN $8::int >= $6 THEN a.second_order_at END,
                 CASE WHEN $9::int >= $6 THEN a.referral_at END) AS goal_at,
           greatest(a.stage_pos,
                    CASE WHEN a.first_order_at IS NOT NULL THEN $7::int END,
                    CASE WHEN a.second_order_at IS NOT NULL THEN $8::int END,
                    CASE WHEN a.referral_at IS NOT NULL THEN $9::int END) AS furthest,
           coalesce(a.pre_revenue, 0) AS pre_revenue,
           coalesce(a.pre_orders, 0) AS pre_orders,
           coalesce(a.pre_referral, false) AS pre_referral
    FROM x LEFT JOIN agg a ON a.customer_id = x.customer_id
),
cap AS (
    -- The percentile of buyers' revenue: over all customers it would be 0 whenever fewer than
    -- 1 − p of them buy, and capping at 0 would erase the metric.
    SELECT percentile_cont($10::float8) WITHIN GROUP (ORDER BY revenue) AS v
    FROM o WHERE mature AND revenue > 0 AND $10::float8 IS NOT NULL
),
v AS (
    SELECT variant_id,
           count(*) AS exposed,
           count(*) FILTER (WHERE mature) AS n,
           count(*) FILTER (WHERE mature AND goal_at IS NOT NULL) AS conversions,
           count(*) FILTER (WHERE mature AND referred) AS referrals,
           coalesce(sum(r) FILTER (WHERE mature), 0) AS revenue_sum,
           coalesce(sum(r * r) FILTER (WHERE mature), 0) AS revenue_squares,
           coalesce(sum(orders::float8) FILTER (WHERE mature), 0) AS orders_sum,
           coalesce(sum((orders * orders)::float8) FILTER (WHERE mature), 0) AS orders_squares,
           coalesce(sum(pre_revenue) FILTER (WHERE mature), 0) AS pre_revenue_sum,
           coalesce(sum(pre_revenue * pre_revenue) FILTER (WHERE mature), 0) AS pre_revenue_squares,
           coalesce(sum(pre_revenue * r) FILTER (WHERE mature), 0) AS revenue_products,
           coalesce(sum(pre_orders::float8) FILTER (WHERE mature), 0) AS pre_orders_sum,
           coalesce(sum((pre_orders * pre_orders)::float8) FILTER (WHERE mature), 0) AS pre_orders_squares,
           coalesce(sum((pre_orders * orders)::float8) FILTER (WHERE mature), 0) AS orders_products,
           count(*) FILTER (WHERE mature AND pre_referral) AS pre_referrals,
           count(*) FILTER (WHERE mature AND pre_referral AND referred) AS referral_products
    FROM (SELECT o.*, least(o.revenue, cap.v) AS r FROM o CROSS JOIN cap) w
    GROUP BY variant_id
),
f AS (
    SELECT variant_id, furthest, count(*) AS customers FROM o WHERE mature GROUP BY variant_id, furthest
),
t AS (
    -- Time to goal in hours (rounded up), censored at the end of the window or now.
    SELECT variant_id, event, hours, count(*) AS customers
    FROM (SELECT variant_id, goal_at IS NOT NULL AS event,
                 greatest(0, ceil((date_part('epoch', coalesce(goal_at, least(ends, $3))) - date_part('epoch', exposed_at)) / 3600))
                     AS hours
          FROM o) s
    GROUP BY variant_id, event, hours
),
d AS (
    -- Exposures and conversions per UTC day.
    SELECT coalesce(e.variant_id, c.variant_id) AS variant_id, coalesce(e.day, c.day) AS day,
           coalesce(e.exposed, 0) AS exposed, coalesce(c.converted, 0) AS converted
    FROM (SELECT variant_id, (exposed_at AT TIME ZONE 'UTC')::date AS day, count(*) AS exposed
          FROM x GROUP BY 1, 2) e
    FULL JOIN (SELECT variant_id, (goal_at AT TIME ZONE 'UTC')::date AS day, count(*) AS converted
               FROM o WHERE goal_at IS NOT NULL GROUP BY 1, 2) c
      ON c.variant_id = e.variant_id AND c.day = e.day
),
cm AS (
    SELECT ev.customer_id, m.i, count(*) AS events, coalesce(sum(ev.value), 0) AS total
    FROM ev JOIN unnest($11::text[], $12::text[]) WITH ORDINALITY AS m(event_type, stage, i)
      ON ev.event_type = m.event_type AND (m.stage IS NULL OR ev.stage = m.stage)
    WHERE ev.at >= ev.exposed_at
    GROUP BY ev.customer_id, m.i
),
cmv AS (
    SELECT o.variant_id, cm.i AS metric, count(*) AS customers,
           sum(cm.events::float8) AS count_sum, sum((cm.events * cm.events)::float8) AS count_squares,
           sum(cm.total) AS value_sum, sum(cm.total * cm.total) AS value_squares
    FROM cm JOIN o ON o.customer_id = cm.customer_id
    WHERE o.mature
    GROUP BY o.variant_id, cm.i
)
SELECT (SELECT coalesce(json_agg(v), '[]') FROM v) AS variants,
       (SELECT coalesce(json_agg(f), '[]') FROM f) AS funnel,
       (SELECT coalesce(json_agg(t), '[]') FROM t) AS time_to_goal,
       (SELECT coalesce(json_agg(d ORDER BY day), '[]') FROM d) AS daily,
       (SELECT coalesce(json_agg(cmv), '[]') FROM cmv) AS custom,
       (SELECT v FROM cap) AS revenue_cap
