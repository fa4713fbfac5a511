-- The analysis of one experiment: every aggregate the report needs, in one statement over the
-- experiment's outcome rows (`outcomes.sql` keeps them current).
--
-- $1 experiment id          $2 window days          $3 now               $4 stopped (all customers mature)
-- $5 revenue winsorisation percentile (NULL: none)   $6 number of custom metrics
-- $7 now − window: customers exposed at or before it have had their whole window
--
-- Each pass over the rows groups them into few groups (so that it runs in parallel): mature
-- customers by variant and furthest stage (the sums and the funnel), exposures and conversions by
-- day, and time to goal by hours. A customer is mature once the window has ended (or the
-- experiment stopped).
WITH cap AS (
    -- The percentile of buyers' revenue: over all customers it would be 0 whenever fewer than
    -- 1 − p of them buy, and capping at 0 would erase the metric.
    SELECT percentile_cont($5::float8) WITHIN GROUP (ORDER BY revenue) AS v
    FROM outcomes
    WHERE experiment_id = $1 AND $5::float8 IS NOT NULL AND revenue > 0 AND ($4 OR exposed_at <= $7)
),
vf AS (
    SELECT variant_id, furthest,
           count(*) AS n,
           count(*) FILTER (WHERE goal_hours IS NOT NULL) AS conversions,
           count(*) FILTER (WHERE referred) AS referrals,
           sum(r) AS revenue_sum,
           sum(r * r) AS revenue_squares,
           sum(orders) AS orders_sum,
           sum(orders * orders) AS orders_squares,
           sum(pre_revenue) AS pre_revenue_sum,
           sum(pre_revenue * pre_revenue) AS pre_revenue_squares,
           sum(pre_revenue * r) AS revenue_products,
           sum(pre_orders) AS pre_orders_sum,
           sum(pre_orders * pre_orders) AS pre_orders_squares,
           sum(pre_orders * orders) AS orders_products,
           count(*) FILTER (WHERE pre_referral) AS pre_referrals,
           count(*) FILTER (WHERE pre_referral AND referred) AS referral_products
    FROM (SELECT variant_id, furthest, least(revenue, (SELECT v FROM cap)) AS r, orders, referred, goal_hours,
                 pre_revenue, pre_orders, pre_referral
          FROM outcomes WHERE experiment_id = $1 AND ($4 OR exposed_at <= $7)) w
    GROUP BY variant_id, furthest
),
x AS (
    -- First exposures per UTC day.
    SELECT variant_id, exposed_day AS day, count(*) AS exposed
    FROM outcomes WHERE experiment_id = $1 GROUP BY 1, 2
),
c AS (
    -- Conversions per UTC day.
    SELECT variant_id, goal_day AS day, count(*) AS converted
    FROM outcomes WHERE experiment_id = $1 AND goal_day IS NOT NULL GROUP BY 1, 2
),
t AS (
    -- Time to goal in hours (rounded up), censored at the end of the window or now (also once
    -- stopped): the customers who reached the goal, then those who did not, whose window has
    -- ended (counted from `vf` while running), then those whose window has not.
    SELECT variant_id, true AS event, goal_hours AS hours, count(*) AS customers
    FROM outcomes WHERE experiment_id = $1 AND goal_hours IS NOT NULL
    GROUP BY 1, 3
    UNION ALL
    SELECT variant_id, false, $2 * 24.0, sum(n - conversions) FROM vf WHERE NOT $4 GROUP BY 1 HAVING sum(n - conversions) > 0
    UNION ALL
    -- (Once stopped, `vf` counts every customer: count the ones whose window has ended here.)
    SELECT variant_id, false, $2 * 24.0, count(*)
    FROM outcomes WHERE $4 AND experiment_id = $1 AND goal_hours IS NULL AND exposed_at <= $7
    GROUP BY 1
    UNION ALL
    SELECT variant_id, false, greatest(0, ceil(date_part('epoch', $3 - exposed_at) / 3600)), count(*)
    FROM outcomes WHERE experiment_id = $1 AND goal_hours IS NULL AND exposed_at > $7
    GROUP BY 1, 3
),
e AS (SELECT variant_id, sum(exposed) AS exposed FROM x GROUP BY 1),
v AS (
    SELECT e.variant_id, e.exposed,
           coalesce(sum(n), 0) AS n,
           coalesce(sum(conversions), 0) AS conversions,
           coalesce(sum(referrals), 0) AS referrals,
           coalesce(sum(revenue_sum), 0) AS revenue_sum,
           coalesce(sum(revenue_squares), 0) AS revenue_squares,
           coalesce(sum(orders_sum), 0) AS orders_sum,
           coalesce(sum(orders_squares), 0) AS orders_squares,
           coalesce(sum(pre_revenue_sum), 0) AS pre_revenue_sum,
           coalesce(sum(pre_revenue_squares), 0) AS pre_revenue_squares,
           coalesce(sum(revenue_products), 0) AS revenue_products,
           coalesce(sum(pre_orders_sum), 0) AS pre_orders_sum,
           coalesce(sum(pre_orders_squares), 0) AS pre_orders_squares,
           coalesce(sum(orders_products), 0) AS orders_products,
           coalesce(sum(pre_referrals), 0) AS pre_referrals,
           coalesce(sum(referral_products), 0) AS referral_products
    FROM e LEFT JOIN vf ON vf.variant_id = e.variant_id
    GROUP BY e.variant_id, e.exposed
),
f AS (SELECT variant_id, furthest, n AS customers FROM vf),
d AS (
    SELECT coalesce(x.variant_id, c.variant_id) AS variant_id, coalesce(x.day, c.day) AS day,
           coalesce(x.exposed, 0) AS exposed, coalesce(c.converted, 0) AS converted
    FROM x FULL JOIN c ON c.variant_id = x.variant_id AND c.day = x.day
),
cmv AS (
    -- Custom metrics, over the mature customers with at least one matching event.
    SELECT o.variant_id, u.i AS metric, count(*) FILTER (WHERE u.c > 0) AS customers,
           sum(u.c) AS count_sum, sum(u.c * u.c) AS count_squares,
           sum(u.v) AS value_sum, sum(u.v * u.v) AS value_squares
    FROM outcomes o CROSS JOIN LATERAL unnest(o.custom_events, o.custom_values) WITH ORDINALITY AS u(c, v, i)
    WHERE $6 > 0 AND o.experiment_id = $1 AND o.custom_events IS NOT NULL AND ($4 OR o.exposed_at <= $7)
    GROUP BY o.variant_id, u.i
    HAVING count(*) FILTER (WHERE u.c > 0) > 0
)
SELECT (SELECT coalesce(json_agg(v), '[]') FROM v) AS variants,
       (SELECT coalesce(json_agg(f), '[]') FROM f) AS funnel,
       (SELECT coalesce(json_agg(t), '[]') FROM t) AS time_to_goal,
       (SELECT coalesce(json_agg(d ORDER BY day), '[]') FROM d) AS daily,
       (SELECT coalesce(json_agg(cmv), '[]') FROM cmv) AS custom,
       (SELECT v FROM cap) AS revenue_cap
