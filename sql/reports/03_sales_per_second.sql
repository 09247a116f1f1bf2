-- question: how fast did the event @event sell, second by second?
-- One row per second (UTC, as stored) in which at least one order of @event
-- was reserved: reservations in that second and the running total since the
-- first. Orders later expired or cancelled still count (the reservation
-- happened); seconds without reservations are left out.
-- scripts/report sets @event (--event, default the latest created event);
-- by hand: SET @event = 'E'; before this file.
SELECT event_id,
       second_utc,
       reservations,
       SUM(reservations) OVER (ORDER BY second_utc ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cumulative
FROM (
  SELECT event_id,
         DATE_FORMAT(reserved_at, '%Y-%m-%d %H:%i:%s') AS second_utc,
         COUNT(*) AS reservations
  FROM orders
  WHERE event_id = @event
  GROUP BY event_id, DATE_FORMAT(reserved_at, '%Y-%m-%d %H:%i:%s')
) per_second
ORDER BY second_utc;
