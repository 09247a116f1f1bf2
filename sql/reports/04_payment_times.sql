-- question: how long do buyers of @event take to pay, and how many pay at all?
-- Over the paid orders of @event: median, p90 and p99 of paid_at - reserved_at
-- in seconds, by nearest rank (the value at row ceil(p x n) in time order;
-- MySQL 8 has no PERCENTILE_CONT); conversion = paid / all orders of the
-- event, in percent (orders still reserved count as not paid yet, so it rises
-- until the payment window closes). Empty percentiles: nothing paid yet.
-- scripts/report sets @event; by hand: SET @event = 'E'; before this file.
WITH paid AS (
  SELECT TIMESTAMPDIFF(MICROSECOND, reserved_at, paid_at) / 1000000 AS seconds
  FROM orders
  WHERE event_id = @event AND status = 'paid' AND paid_at IS NOT NULL
),
ranked AS (
  SELECT seconds,
         ROW_NUMBER() OVER (ORDER BY seconds) AS rn,
         COUNT(*) OVER () AS n
  FROM paid
),
counts AS (
  SELECT COUNT(*) AS orders, COALESCE(SUM(status = 'paid'), 0) AS paid
  FROM orders
  WHERE event_id = @event
)
SELECT @event AS event_id,
       c.orders,
       c.paid,
       ROUND(100 * c.paid / NULLIF(c.orders, 0), 1) AS conversion_percent,
       ROUND((SELECT seconds FROM ranked WHERE rn = CEIL(0.50 * n)), 3) AS median_s,
       ROUND((SELECT seconds FROM ranked WHERE rn = CEIL(0.90 * n)), 3) AS p90_s,
       ROUND((SELECT seconds FROM ranked WHERE rn = CEIL(0.99 * n)), 3) AS p99_s
FROM counts c;
