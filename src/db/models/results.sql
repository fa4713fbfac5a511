-- The analysis of one experiment: every aggregate the report needs, in one statement over the
-- experiment's outcome rows (`outcomes.sql` keeps them current).
--
-- $1 experiment id          $2 window days          $3 now               $4 stopped (all customers mature)
-- $5 revenue winsorisation percentile (NULL: none)   $6 number of custom metrics
-- $7 now − window: customers exposed at or before it have had their whole window
--
-- A customer is mature once the window has ended (or the experiment stopped); the condition is
-- repeated in each part rather than put in a shared CTE, which PostgreSQL would materialise.
WITH cap AS (
    -- The percentile of buyers' revenue: over all customers it would be 0 whenever fewer than
    -- 1 − p of them buy, and capping at 0 would erase the metric.
    SELECT percentile_cont($5::float8) WITHIN GROUP (ORDER BY revenue) AS v
    FROM outcomes
    WHERE experiment_id = $1 AND $5::float8 IS NOT NULL AND revenue > 0
      AND ($4 OR exposed_at <= $7)
),
v AS (
    SELECT variant_id,
           count(*) AS exposed,
           count(*) FILTER (WHERE mature) AS n,
           count(*) FILTER (WHERE mature AND goal_hours IS NOT NULL) AS conversions,
           count(*) FILTER (WHERE mature AND referred) AS referrals,
           coalesce(sum(r) FILTER (WHERE mature), 0) AS revenue_sum,
           coalesce(sum(r * r) FILTER (WHERE mature), 0) AS revenue_squares,
           coalesce(sum(orders) FILTER (WHERE mature), 0) AS orders_sum,
           coalesce(sum(orders * orders) FILTER (WHERE mature), 0) AS orders_squares,
           coalesce(sum(pre_revenue) FILTER (WHERE mature), 0) AS pre_revenue_sum,
           coalesce(sum(pre_revenue * pre_revenue) FILTER (WHERE mature), 0) AS pre_revenue_squares,
           coalesce(sum(pre_revenue * r) FILTER (WHERE mature), 0) AS revenue_products,
           coalesce(sum(pre_orders) FILTER (WHERE mature), 0) AS pre_orders_sum,
           coalesce(sum(pre_orders * pre_orders) FILTER (WHERE mature), 0) AS pre_orders_squares,
           coalesce(sum(pre_orders * orders) FILTER (WHERE mature), 0) AS orders_products,
           count(*) FILTER (WHERE mature AND pre_referral) AS pre_referrals,
           count(*) FILTER (WHERE mature AND pre_referral AND referred) AS referral_products
    FROM (SELECT variant_id, ($4 OR exposed_at <= $7) AS mature,
                 least(revenue, (SELECT v FROM cap)) AS r, orders, referred, goal_hours,
                 pre_revenue, pre_orders, pre_referral
          FROM outcomes WHERE experiment_id = $1) w
    GROUP BY variant_id
),
f AS (
    SELECT variant_id, furthest, count(*) AS customers
    FROM outcomes
    WHERE experiment_id = $1 AND ($4 OR exposed_at <= $7)
    GROUP BY variant_id, furthest
),
t AS (
    -- Time to goal in hours (rounded up), censored at the end of the window or now.
    SELECT variant_id, goal_hours IS NOT NULL AS event,
           coalesce(goal_hours,
                    CASE WHEN exposed_at <= $7 THEN $2 * 24.0
                         ELSE greatest(0, ceil(date_part('epoch', $3 - exposed_at) / 3600)) END) AS hours,
           count(*) AS customers
    FROM outcomes
    WHERE experiment_id = $1
    GROUP BY 1, 2, 3
),
d AS (
    -- Exposures and conversions per UTC day.
    SELECT coalesce(e.variant_id, c.variant_id) AS variant_id, coalesce(e.day, c.day) AS day,
           coalesce(e.exposed, 0) AS exposed, coalesce(c.converted, 0) AS converted
    FROM (SELECT variant_id, exposed_day AS day, count(*) AS exposed
          FROM outcomes WHERE experiment_id = $1 GROUP BY 1, 2) e
    FULL JOIN (SELECT variant_id, goal_day AS day, count(*) AS converted
               FROM outcomes WHERE experiment_id = $1 AND goal_day IS NOT NULL GROUP BY 1, 2) c
      ON c.variant_id = e.variant_id AND c.day = e.day
),
cmv AS (
    -- Custom metrics, over the mature customers with at least one matching event.
    SELECT o.variant_id, u.i AS metric, count(*) FILTER (WHERE u.c > 0) AS customers,
           sum(u.c) AS count_sum, sum(u.c * u.c) AS count_squares,
           sum(u.v) AS value_sum, sum(u.v * u.v) AS value_squares
    FROM outcomes o CROSS JOIN LATERAL unnest(o.custom_events, o.custom_values) WITH ORDINALITY AS u(c, v, i)
    WHERE $6 > 0 AND o.experiment_id = $1 AND o.custom_events IS NOT NULL
      AND ($4 OR o.exposed_at <= $7)
    GROUP BY o.variant_id, u.i
    HAVING count(*) FILTER (WHERE u.c > 0) > 0
)
SELECT (SELECT coalesce(json_agg(v), '[]') FROM v) AS variants,
       (SELECT coalesce(json_agg(f), '[]') FROM f) AS funnel,
       (SELECT coalesce(json_agg(t), '[]') FROM t) AS time_to_goal,
       (SELECT coalesce(json_agg(d ORDER BY day), '[]') FROM d) AS daily,
       (SELECT coalesce(json_agg(cmv), '[]') FROM cmv) AS custom,
       (SELECT v FROM cap) AS revenue_cap
